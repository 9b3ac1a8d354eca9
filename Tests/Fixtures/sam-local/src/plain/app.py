import os


def handler(event, context):
    return {"function": "Plain", "greeting": os.environ.get("GREETING")}
