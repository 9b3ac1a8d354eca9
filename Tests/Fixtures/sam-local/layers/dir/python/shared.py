ORIGIN = "dir"
