WORD = "from-dir-layer"
