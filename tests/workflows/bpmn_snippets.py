"""Build small BPMN documents for parser tests."""

from __future__ import annotations

import re

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:dms="urn:dms:bpmn:1.0" '
    'id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def document(body: str, *, process_attrs: str = "", extra: str = "", key: str = "p") -> bytes:
    """A definitions document with one executable process holding ``body``."""
    return (
        f'{HEAD}<bpmn:process id="{key}" isExecutable="true" {process_attrs}>\n{body}\n'
        f"</bpmn:process>\n{extra}</bpmn:definitions>\n"
    ).encode()


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def chain(
    *elements: str,
    start: str = '<bpmn:startEvent id="Start" />',
    end: str = '<bpmn:endEvent id="End" />',
    extra: str = "",
    flows: str = "Flow",
) -> str:
    """Start -> each element in turn -> end, wired with sequence flows."""
    parts = [start, *elements, end]
    found = [re.search(r' id="([^"]+)"', p) for p in parts]
    ids = [m.group(1) for m in found if m]  # elements without an id are left unwired
    flows = [flow(f"{flows}_{i}", a, b) for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))]
    return "\n".join([*parts, *flows, extra])
