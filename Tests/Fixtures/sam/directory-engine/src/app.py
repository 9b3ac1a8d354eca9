from helpers import greet


def handler(event, context):
    return greet("world")
