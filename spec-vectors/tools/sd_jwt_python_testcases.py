#!/usr/bin/env python3
"""Convert the sd-jwt-python test cases (YAML with `!sd` tags) into plain JSON for Kakunin.

usage: sd_jwt_python_testcases.py CHECKOUT OUT_JSON
  CHECKOUT: a checkout of https://github.com/openwallet-foundation-labs/sd-jwt-python at the
  commit PROVENANCE.md names; reads CHECKOUT/tests/testcases/*/specification.yml and
  CHECKOUT/tests/testcases/settings.yml. Needs PyYAML.

In the YAML, `!sd` on a mapping key makes that property selectively disclosable, and `!sd` on
a sequence item makes that array element selectively disclosable. JSON has no tags, so both
become a wrapper object: `{"!sd": value}` in place of the value (for a property, the property
keeps its name and its value is wrapped). No test case has a property named "!sd".
"""
import json
import pathlib
import sys

import yaml


class SdValue:
    def __init__(self, value):
        self.value = value


class Loader(yaml.SafeLoader):
    pass


def construct_sd(loader, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if node.style is None:
            # A plain scalar is typed by its text (42, 3.14, True, null), as it would be
            # without the tag; a quoted one stays a string.
            resolved = loader.resolve(yaml.ScalarNode, value, (True, False))
            value = loader.construct_object(yaml.ScalarNode(resolved, value))
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return SdValue(value)


Loader.add_constructor("!sd", construct_sd)


def plain(v):
    if isinstance(v, SdValue):
        return {"!sd": plain(v.value)}
    if isinstance(v, dict):
        out = {}
        for k, val in v.items():
            if isinstance(k, SdValue):
                out[str(k.value)] = {"!sd": plain(val)}
            else:
                out[str(k)] = plain(val)
        return out
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main(checkout, out):
    src = pathlib.Path(checkout) / "tests" / "testcases"
    load = lambda path: plain(yaml.load(path.read_text(), Loader=Loader))
    cases = {"settings": load(src / "settings.yml")}
    for spec in sorted(src.glob("*/specification.yml")):
        cases[spec.parent.name] = load(spec)
    pathlib.Path(out).write_text(
        json.dumps(cases, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
