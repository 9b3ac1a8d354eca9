from childlayer import WORD


def handler(event, context):
    return {"function": "Child/ChildFunction", "layer": WORD}
