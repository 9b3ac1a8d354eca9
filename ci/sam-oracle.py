#!/usr/bin/env python3
"""sam-oracle: ask AWS SAM CLI's own code which local image `sam local invoke` uses for each function.

Usage (with the Python that has aws-sam-cli installed, e.g. .build-sam/bin/python):
    python ci/sam-oracle.py TEMPLATE [--parameter-overrides 'K=V K2=V2' ...]
                            [--invoke-image [FN=]URI]... [--region R] [--dockerfile]
                            [--language-extensions]

Prints one JSON object on stdout:
    {"functions": [{"name": "Child/Fn", "architecture": "x86_64", "image": "samcli/lambda-..."}, ...],
     "skipped": ["FnWithS3Code", ...]}
  * "functions" is in SAM's order (root stack first, then each nested stack, template order within one).
  * A function that SAM refuses to invoke (inline code, Image without ImageUri, unsupported runtime or
    architecture, malformed layer ARN, ...) is listed as {"name": ..., "error": "<SAM's message>"}.
  * "skipped" lists the functions SAM's provider drops with a warning (code only in S3, ECR ImageUri
    without Metadata.DockerContext).
  * --dockerfile adds "dockerfile": the Dockerfile SAM would build the image from.
  * --language-extensions expands AWS::LanguageExtensions as `sam local invoke --language-extensions`
    does; without it SAM's own default applies (the SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS variable, else off).
  * A template-level error prints {"error": "<SAM's message>"} and exits 1.
SAM's own warnings go to stderr.

What SAM code does the work: SamLocalStackProvider.get_stacks (nested stacks, parameters, Globals,
intrinsics, CDK metadata), SamFunctionProvider (functions, layers, skips), LocalLambdaRunner.get_function
(the checks `sam local invoke` makes before it starts a container), LambdaContainer and LambdaImage.build
(runtime check, base image, --invoke-image lookup, image name), CfnParameterOverridesType and
process_image_options (parsing of the two flags).

What is stubbed, and why (nothing else is):
  * FakeDockerClient replaces the Docker Engine client: images.get() says no image exists yet (the
    first-run path, the one prewarm replaces), images.list() finds no old "rapid" images to remove.
  * OracleLambdaImage._build_image replaces the real one, which tars a build context and POSTs it to
    Docker. The stub only asks SAM for the Dockerfile text (LambdaImage._generate_dockerfile, which also
    validates the architecture, as the real build does) and keeps it for --dockerfile.
  * FakeLayerDownloader replaces LayerDownloader, which calls Lambda GetLayerVersion and downloads the
    zip. It returns the layers unchanged; for an ARN layer it first reads layer.name and layer.version as
    the real downloader does for a layer not yet in its cache, so a malformed ARN fails as it does in SAM
    with an empty cache (with the layer already cached, SAM never parses the version).
  * Not reproduced: InvokeContext's STS GetCallerIdentity, which with valid credentials replaces
    AWS::AccountId (default 123456789012); samconfig.toml; --docker-volume-basedir.
  * SAM's lock files go to a private temporary directory instead of the system one.
No Docker, network or AWS credentials are needed, and code/layer directories need not exist; only the
template files (including nested ones) must. Exception: an AWS::Serverless::Application whose Location is
{ApplicationId, SemanticVersion} makes SAM's translator call the Serverless Application Repository (with
no region configured it fails at once with "NoRegionFound: AWS Region cannot be found"); keep such
templates out of the fixtures.
Checked against SAM CLI 1.170.0: for every fixture in Tests/Fixtures/sam, the real `sam local invoke`
(talking to a fake Docker socket) asked Docker to build exactly the image name and Dockerfile printed here.
"""

import argparse
import json
import logging
import os
import sys
import tempfile

import docker.errors

from samcli.cli.types import CfnParameterOverridesType
from samcli.commands._utils.option_value_processor import process_image_options
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.cfn_language_extensions.sam_integration import resolve_language_extensions_enabled
from samcli.lib.providers.provider import get_full_path
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.lib.utils.resources import AWS_LAMBDA_FUNCTION, AWS_SERVERLESS_FUNCTION
from samcli.local.docker.lambda_container import LambdaContainer
from samcli.local.docker.lambda_image import LambdaImage


class _FakeImages:
    def get(self, name):
        raise docker.errors.ImageNotFound(f"{name} (oracle: no Docker)")

    def list(self, name=None, **_):
        return []


class FakeDockerClient:
    images = _FakeImages()


class FakeLayerDownloader:
    layer_cache = None  # only used by the real _build_image

    def download_all(self, layers, force=False):
        for layer in layers:
            if not layer.is_defined_within_template:
                _ = layer.name, layer.version  # the real download(): cache path, then GetLayerVersion
        return layers


class OracleLambdaImage(LambdaImage):
    dockerfiles = {}

    def _build_image(self, base_image, docker_tag, layers, architecture, stream=None):
        self.dockerfiles[docker_tag] = self._generate_dockerfile(base_image, layers, architecture)


def main():
    args = parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(levelname)s: %(message)s")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # never probe EC2 instance metadata for credentials
    with tempfile.TemporaryDirectory(prefix="sam-oracle-") as tmp:
        tempfile.tempdir = tmp  # SAM's build lock files go here
        return run(args)


def parse_args():
    ap = argparse.ArgumentParser(description="Image names SAM CLI's local invoke uses")
    ap.add_argument("template")
    ap.add_argument("--parameter-overrides", nargs="+", default=[])  # last one wins, as in SAM
    ap.add_argument("--invoke-image", action="append", default=[])
    ap.add_argument("--region")
    ap.add_argument("--dockerfile", action="store_true")
    ap.add_argument("--language-extensions", action="store_true", default=None)
    return ap.parse_args()


def run(args):
    try:
        overrides = CfnParameterOverridesType().convert(tuple(args.parameter_overrides), None, None)
        # As InvokeContext does: the flag, else SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS.
        language_extensions = resolve_language_extensions_enabled(args.language_extensions)
        stacks, _ = SamLocalStackProvider.get_stacks(
            os.path.abspath(args.template),  # as the CLI's --template option does
            parameter_overrides=overrides,
            global_parameter_overrides={"AWS::Region": args.region} if args.region else None,
            language_extensions_enabled=language_extensions,
        )
        provider = SamFunctionProvider(stacks)
        image_builder = OracleLambdaImage(
            FakeLayerDownloader(), False, False, FakeDockerClient(), process_image_options(tuple(args.invoke_image))
        )
        runner = LocalLambdaRunner(None, provider, cwd=".", real_path=".")
    except Exception as ex:  # noqa: BLE001 - report SAM's error as data
        print(json.dumps({"error": f"{type(ex).__name__}: {ex}"}))
        return 1

    functions = []
    for fn in provider.get_all():
        entry = {"name": fn.full_path}
        try:
            f = runner.get_function(fn.full_path)
            container = LambdaContainer(
                f.runtime, f.imageuri, f.handler, f.packagetype, f.imageconfig, None, f.layers,
                image_builder, f.architecture, function_full_path=f.full_path,
            )
            entry.update(architecture=f.architecture, image=container._image)
            if args.dockerfile:
                entry["dockerfile"] = image_builder.dockerfiles.get(container._image)
        except Exception as ex:  # noqa: BLE001
            entry["error"] = f"{type(ex).__name__}: {ex}"
        functions.append(entry)

    skipped = []
    for stack in stacks:
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") in (AWS_SERVERLESS_FUNCTION, AWS_LAMBDA_FUNCTION):
                fid = SamFunctionProvider._get_function_id({"Metadata": resource.get("Metadata") or {}}, logical_id)
                path = get_full_path(stack.stack_path, fid)
                if path not in provider.functions:
                    skipped.append(path)

    print(json.dumps({"functions": functions, "skipped": skipped}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
