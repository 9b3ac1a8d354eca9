from greeting import greet


def handler(event, context):
    return {"statusCode": 200, "body": greet(event.get("name", "world"))}
