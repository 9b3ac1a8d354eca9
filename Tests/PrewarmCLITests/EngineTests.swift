import Testing

/// Every test that builds in the real engines ci/test starts. They share those engines and
/// image names (`public.ecr.aws/lambda/python:3.12-rapid-x86_64`, …), so they run one at a
/// time, never alongside each other.
@Suite(.serialized) struct EngineTests {}
