"""The JSON object of a record (a finding, a measured step, a seed's test run).

Most `to_dict` methods map a key to the attribute of the same name, field or property,
and rename or convert only a few. Written out, that is `"key": self.key` line after line:
the same statement ten times, where a key and its attribute can drift apart unnoticed.
`json_view` reads every key from its attribute and takes as arguments only the values
that differ; the keys are given in output order, so the JSON (key order included) is
what the string says.
"""

from __future__ import annotations

from typing import Any


def json_view(record: object, keys: str, /, **values: Any) -> dict[str, Any]:
    """``{key: values[key] if given, else getattr(record, key)}`` for each key, in order.

    `keys` are the object's keys separated by spaces, as `collections.namedtuple` takes
    its field names: ``json_view(self, "code line column", column=self.col)``.
    """
    unknown = values.keys() - set(keys.split())
    if unknown:
        raise TypeError(f"values for keys not in the view: {', '.join(sorted(unknown))}")
    return {key: values[key] if key in values else getattr(record, key) for key in keys.split()}
