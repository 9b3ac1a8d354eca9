from dirlayer import WORD


def handler(event, context):
    return {"function": "DirLayer", "layer": WORD}
