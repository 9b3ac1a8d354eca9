/// The plan's JSON document written by hand, each object's keys in sorted order (as `JSONEncoder`'s
/// `.sortedKeys` orders them), an absent optional left out except where the document keeps the field
/// as `null` (a function's `runtime` and `samBuildsOnInvoke`). `JSONPlanTests` holds the bytes against
/// `JSONEncoder`'s encoding of the same `JSONPlan`.
extension JSONPlan {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("errors")
        json.beginArray()
        for failure in errors {
            json.element()
            failure.write(to: &json)
        }
        json.endArray()
        json.key("functions")
        json.beginArray()
        for function in functions {
            json.element()
            function.write(to: &json)
        }
        json.endArray()
        json.key("graph")
        json.beginObject()
        json.key("nodes")
        json.beginArray()
        for node in graph.nodes {
            json.element()
            node.write(to: &json)
        }
        json.endArray()
        json.endObject()
        json.key("schemaVersion")
        json.int(schemaVersion)
        if let shards {
            json.key("shards")
            json.beginArray()
            for shard in shards {
                json.element()
                json.beginObject()
                json.key("cost")
                json.int(shard.cost)
                json.key("images")
                json.int(shard.images)
                json.key("index")
                json.int(shard.index)
                json.key("layers")
                json.int(shard.layers)
                json.endObject()
            }
            json.endArray()
        }
        json.key("skipped")
        json.beginArray()
        for item in skipped {
            json.element()
            json.beginObject()
            json.key("location")
            json.string(item.location)
            json.key("name")
            json.string(item.name)
            json.key("reason")
            json.string(item.reason)
            json.endObject()
        }
        json.endArray()
        json.key("summary")
        summary.write(to: &json)
        json.key("template")
        json.string(template)
        json.key("warnings")
        json.strings(warnings)
        json.endObject()
    }
}

extension JSONPlan.Function {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("architecture")
        json.string(architecture)
        json.key("baseImage")
        json.string(baseImage)
        json.key("contentKey")
        json.string(contentKey)
        json.key("image")
        json.string(image)
        json.key("layers")
        json.strings(layers)
        json.key("name")
        json.string(name)
        json.key("node")
        json.string(node)
        json.key("packageType")
        json.string(packageType)
        json.key("runtime")
        json.string(orNull: runtime)
        json.key("samBuildsOnInvoke")
        if let samBuildsOnInvoke {
            json.beginObject()
            json.key("message")
            json.string(samBuildsOnInvoke.message)
            json.key("reason")
            json.string(samBuildsOnInvoke.reason)
            json.endObject()
        } else {
            json.null()
        }
        if let shard {
            json.key("shard")
            json.int(shard)
        }
        json.endObject()
    }
}

extension JSONPlan.Failure {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.member("architecture", ifPresent: architecture)
        json.member("location", ifPresent: location)
        json.key("message")
        json.string(message)
        json.key("name")
        json.string(name)
        json.endObject()
    }
}

extension JSONPlan.Node {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.member("arn", ifPresent: arn)
        json.member("base", ifPresent: base)
        json.member("contentKey", ifPresent: contentKey)
        json.key("id")
        json.string(id)
        json.member("image", ifPresent: image)
        json.key("kind")
        json.string(kind)
        json.key("needs")
        json.strings(needs)
        json.member("path", ifPresent: path)
        json.member("platform", ifPresent: platform)
        json.member("reference", ifPresent: reference)
        json.endObject()
    }
}

extension JSONPlan.Summary {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("bases")
        json.int(bases)
        json.key("errors")
        json.int(errors)
        json.key("functions")
        json.int(functions)
        json.key("images")
        json.int(images)
        json.key("layers")
        json.int(layers)
        json.key("skipped")
        json.int(skipped)
        json.endObject()
    }
}
