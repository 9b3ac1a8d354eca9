ORIGIN = "zip"
