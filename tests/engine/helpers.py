"""Small BPMN documents for engine tests, written as a modeller would save them."""

from __future__ import annotations

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="t">\n'
)


def bpmn(process_id: str, body: str, flows: list[tuple[str, str, str] | tuple[str, str, str, str]],
         name: str | None = None) -> bytes:
    """A process from element XML and flows (id, source, target[, condition])."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in flows:
        outgoing.setdefault(flow[1], []).append(flow[0])
        incoming.setdefault(flow[2], []).append(flow[0])
    flow_xml = []
    for flow in flows:
        if len(flow) == 4:
            flow_xml.append(
                f'<bpmn:sequenceFlow id="{flow[0]}" sourceRef="{flow[1]}" targetRef="{flow[2]}">'
                f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{flow[3]}'
                "</bpmn:conditionExpression></bpmn:sequenceFlow>"
            )
        else:
            flow_xml.append(
                f'<bpmn:sequenceFlow id="{flow[0]}" sourceRef="{flow[1]}" targetRef="{flow[2]}"/>'
            )
    for element_id in set(incoming) | set(outgoing):
        refs = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming.get(element_id, []))
        refs += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing.get(element_id, []))
        marker = f'id="{element_id}"'
        start = body.find(marker)
        assert start >= 0, element_id
        close = body.find(">", start)
        if body[close - 1] == "/":
            tag = body[body.rfind("<", 0, start) + 1:start].strip()
            body = body[:close - 1] + ">" + refs + f"</{tag}>" + body[close + 1:]
        else:
            body = body[:close + 1] + refs + body[close + 1:]
    label = f' name="{name}"' if name else ""
    return (HEAD + f'<bpmn:process id="{process_id}"{label} isExecutable="true">'
            + body + "".join(flow_xml) + "</bpmn:process></bpmn:definitions>").encode()
