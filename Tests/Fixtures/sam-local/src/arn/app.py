from samcached import WORD


def handler(event, context):
    return {"function": "ArnLayer", "layer": WORD}
