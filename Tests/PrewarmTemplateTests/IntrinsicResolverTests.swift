import PrewarmTemplate
import Testing

@Suite struct IntrinsicResolverTests {
    func resolver(_ yaml: String, parameters: [String: ParameterValue] = [:]) throws -> (
        IntrinsicResolver, TemplateNode
    ) {
        let root = try TemplateDocument.parse(yaml, file: "t.yaml")
        var types: [String: String] = [:]
        for entry in root["Resources"]?.mapping?.entries ?? [] { types[entry.key] = entry.value["Type"]?.scalar }
        let resolver = IntrinsicResolver(
            parameters: parameters, resourceTypes: types, mappings: root["Mappings"]?.mapping,
            conditions: root["Conditions"]?.mapping)
        return (resolver, root)
    }

    @Test func refSubJoinSelectSplit() throws {
        let (resolver, root) = try resolver(
            """
            Resources:
              MyLayer: {Type: AWS::Serverless::LayerVersion}
            Value:
              ref: !Ref Stage
              layer: !Ref MyLayer
              sub: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:layer:x-${Stage}:${!Literal}"
              subMap: !Sub ["${A}-${B}", {A: one, B: !Ref Stage}]
              join: !Join ["-", [a, !Ref Stage, c]]
              select: !Select [1, !Split [",", "x,y,z"]]
              list: !Ref Names
              length: !Length [a, b, c]
            """, parameters: ["Stage": .string("dev"), "Names": .list(["n1", "n2"])])
        let value = try resolver.resolve(try #require(root["Value"]))
        guard case .mapping(let fields) = value else { Issue.record("not a mapping: \(value)"); return }
        #expect(fields["ref"] == .string("dev"))
        #expect(fields["layer"] == .resource("MyLayer"))
        #expect(fields["sub"] == .string("arn:aws:lambda:us-east-1:123456789012:layer:x-dev:${Literal}"))
        #expect(fields["subMap"] == .string("one-dev"))
        #expect(fields["join"] == .string("a-dev-c"))
        #expect(fields["select"] == .string("y"))
        #expect(fields["list"] == .list([.string("n1"), .string("n2")]))
        #expect(fields["length"] == .string("3"))
    }

    @Test func conditionsIfAndNoValue() throws {
        let (resolver, root) = try resolver(
            """
            Conditions:
              IsProd: !Equals [!Ref Stage, prod]
              IsDev: !Not [!Condition IsProd]
              DevOnArm: !And [!Condition IsDev, !Equals [!Ref Arch, arm64]]
              Either: !Or [!Condition IsProd, !Condition DevOnArm]
            Resources: {}
            Value:
              - !If [IsProd, p, d]
              - !If [DevOnArm, arm, other]
              - !If [IsProd, x, !Ref AWS::NoValue]
              - !If [Either, yes, no]
            """, parameters: ["Stage": .string("dev"), "Arch": .string("arm64")])
        #expect(
            try resolver.resolve(try #require(root["Value"])) == .list([.string("d"), .string("arm"), .string("yes")]))
        #expect(try resolver.condition("IsDev", at: SourceLocation(file: "t.yaml")))
    }

    @Test func findInMapWithDefault() throws {
        let (resolver, root) = try resolver(
            """
            Mappings:
              Runtimes: {prod: {name: python3.12}, dev: {name: python3.13}}
            Resources: {}
            A: !FindInMap [Runtimes, !Ref Stage, name]
            B: !FindInMap [Runtimes, test, name, {DefaultValue: python3.11}]
            C: !FindInMap [Runtimes, test, name]
            """, parameters: ["Stage": .string("dev")])
        #expect(try resolver.resolve(try #require(root["A"])) == .string("python3.13"))
        #expect(try resolver.resolve(try #require(root["B"])) == .string("python3.11"))
        let error = #expect(throws: TemplateError.self) { try resolver.resolve(try #require(root["C"])) }
        #expect(error?.message.contains("'test'") == true)
        #expect(error?.location?.line == 6)
    }

    @Test func refToMissingNameNamesItAndItsLocation() throws {
        let (resolver, root) = try resolver("Resources: {}\nA:\n  Runtime: !Ref Missing\n")
        let error = #expect(throws: TemplateError.self) { try resolver.resolve(try #require(root["A"])) }
        #expect(error?.message.contains("'Missing'") == true)
        #expect(error?.location?.line == 3)
    }

    @Test func conditionCycleIsAnErrorNotACrash() throws {
        let (resolver, _) = try resolver(
            """
            Conditions:
              A: !Condition B
              B: !Not [!Condition A]
            Resources: {}
            """)
        #expect(throws: TemplateError.self) { try resolver.condition("A", at: SourceLocation(file: "t.yaml")) }
    }

    @Test func deployTimeValuesAreClearErrors() throws {
        let (resolver, root) = try resolver(
            """
            Resources:
              Fn: {Type: AWS::Serverless::Function}
            A: !GetAtt Fn.Arn
            B: !ImportValue shared-layer
            C: !Sub "${Fn}"
            """)
        for key in ["A", "B", "C"] {
            let error = #expect(throws: TemplateError.self) {
                try resolver.resolveString(try #require(root[key]), what: key)
            }
            #expect(error?.hint?.contains("parameter") == true)
        }
        // Known only after deployment, but a value a list of layers can drop, as SAM CLI does.
        #expect(try resolver.resolve(try #require(root["B"])) == .deployTime("Fn::ImportValue"))
    }
}
