"""What botocore, the AWS CLI's reader, makes of AWS config files: JSON on stdout.

Usage: python botocore_view.py FILE...

Prints {"botocore": its version, "files": {FILE: view}}, each FILE as given, each view

    {"profiles": [names, sorted],
     "keys": {profile: {key: value}},   (every key whose value is text)
     "error": null, or "ExceptionType: message" when botocore refuses the file}

tests/config.rs runs it once for all the files under tests/data/config, with the test venv's
Python, and compares mfa-env's reading of the same files with it.
"""

import json
import sys

try:
    import botocore
    from botocore import configloader
except ImportError as error:
    sys.exit(
        f"botocore is missing ({error}): run .ci/run, or `.ci/venv/bin/pip install botocore`"
    )


def view(path):
    try:
        # The loader the AWS CLI uses for ~/.aws/config: configparser, then the profile map.
        config = configloader.load_config(path)
    except Exception as error:  # a refused file is a result, not a failure of this script
        # botocore's ConfigParseError names only the file: configparser's error says why.
        cause = getattr(error, "kwargs", {}).get("error")
        why = f" ({type(cause).__name__})" if cause is not None else ""
        return {"profiles": [], "keys": {}, "error": f"{type(error).__name__}{why}: {error}"}
    profiles = config.get("profiles", {})
    return {
        "profiles": sorted(profiles),
        # Sub-sections (`s3 =` and its indented lines) are dicts: only text values compare.
        "keys": {
            name: {k: v for k, v in values.items() if isinstance(v, str)}
            for name, values in profiles.items()
        },
        "error": None,
    }


def main(paths):
    views = {"botocore": botocore.__version__, "files": {path: view(path) for path in paths}}
    json.dump(views, sys.stdout, ensure_ascii=False, sort_keys=True, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
