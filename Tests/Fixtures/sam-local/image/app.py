import os


def handler(event, context):
    return {"function": "ImageFunction", "greeting": os.environ.get("GREETING")}
