WORD = "from-child-layer"
