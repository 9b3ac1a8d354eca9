WORD = "from-sam-cache"
