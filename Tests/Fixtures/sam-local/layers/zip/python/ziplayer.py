WORD = "from-zip-layer"
