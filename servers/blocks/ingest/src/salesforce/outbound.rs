//! Salesforce Outbound Messages: the SOAP 1.1 `notifications` call.

use std::collections::BTreeMap;

use omega_protocol::{OmegaError, SourcePlatform};
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::errors::{shape, xml_syntax};

const P: SourcePlatform = SourcePlatform::Salesforce;
const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const OUTBOUND_NS: &str = "http://soap.sforce.com/2005/09/outbound";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Salesforce sends at most this many `Notification` elements per message.
pub const MAX_OUTBOUND_NOTIFICATIONS: usize = 100;

/// One parsed outbound message.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OutboundMessage {
    pub organization_id: Option<String>,
    pub action_id: Option<String>,
    /// The first notifications, up to the `keep` given to [`parse`].
    pub notifications: Vec<Notification>,
    /// How many `Notification` elements the message has in all.
    pub count: usize,
}

/// One `Notification`: its id and the sObject's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Notification {
    pub id: Option<String>,
    /// `Case` from `xsi:type="sf:Case"`.
    pub object_type: Option<String>,
    pub fields: BTreeMap<String, String>,
}

fn bound_to(r: &ResolveResult<'_>, ns: &str) -> bool {
    matches!(r, ResolveResult::Bound(Namespace(n)) if *n == ns)
}

/// What the element at a given depth is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Envelope,
    Header,
    Body,
    Notifications,
    OrgId,
    ActionId,
    OtherHeaderField,
    Notification,
    NotificationId,
    SObject,
    Field,
    Ignored,
}

/// Parses the SOAP envelope, keeping the fields of the first `keep`
/// notifications and counting all of them (the caller enforces the item
/// cap, naming the count). Never panics.
pub(crate) fn parse(text: &str, keep: usize) -> Result<OutboundMessage, OmegaError> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Slot> = Vec::new();
    let mut msg = OutboundMessage::default();
    let mut buf = String::new();
    let mut field_name = String::new();
    let mut nil = false;
    let hint = "post the SOAP envelope exactly as Salesforce sent it";
    loop {
        let pos = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(xml_syntax(P, reader.error_position(), &e.to_string())),
        };
        let capturing = stack.last().is_some_and(|s| captures(*s));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name().as_ref().to_owned();
                let parent = stack.last().copied();
                let slot = match (parent, local.as_str()) {
                    (None, "Envelope") if bound_to(&ns, SOAP_NS) => Slot::Envelope,
                    (None, _) => {
                        return Err(shape(
                            P,
                            "Envelope",
                            "the root element is not a SOAP 1.1 Envelope",
                            hint,
                        )
                        .with_extra(serde_json::json!({ "offset": pos })));
                    }
                    (Some(Slot::Envelope), "Header") => Slot::Header,
                    (Some(Slot::Envelope), "Body") => Slot::Body,
                    (Some(Slot::Body), "notifications") if bound_to(&ns, OUTBOUND_NS) => {
                        Slot::Notifications
                    }
                    (Some(Slot::Body), other) => {
                        return Err(shape(
                            P,
                            "Body",
                            &format!(
                                "the SOAP body holds `{other}`, not an outbound-message `notifications` element"
                            ),
                            hint,
                        ));
                    }
                    (Some(Slot::Notifications), "OrganizationId") => Slot::OrgId,
                    (Some(Slot::Notifications), "ActionId") => Slot::ActionId,
                    (Some(Slot::Notifications), "Notification") => {
                        msg.count += 1;
                        if msg.notifications.len() < keep {
                            msg.notifications.push(Notification::default());
                            Slot::Notification
                        } else {
                            // Counted, not kept: the message is over the cap.
                            Slot::Ignored
                        }
                    }
                    (Some(Slot::Notifications), _) => Slot::OtherHeaderField,
                    (Some(Slot::Notification), "Id") => Slot::NotificationId,
                    (Some(Slot::Notification), "sObject") => {
                        let ty = xsi_attr(&reader, e, "type");
                        if let Some(n) = msg.notifications.last_mut() {
                            n.object_type =
                                ty.map(|t| t.rsplit(':').next().unwrap_or("").to_owned());
                        }
                        Slot::SObject
                    }
                    (Some(Slot::SObject), name) => {
                        field_name.clear();
                        field_name.push_str(name);
                        nil = xsi_attr(&reader, e, "nil").is_some_and(|v| v == "true" || v == "1");
                        Slot::Field
                    }
                    _ => Slot::Ignored,
                };
                buf.clear();
                if empty {
                    finish(slot, &mut msg, &buf, &field_name, nil);
                } else {
                    stack.push(slot);
                }
            }
            Event::End(_) => {
                if let Some(slot) = stack.pop() {
                    finish(slot, &mut msg, &buf, &field_name, nil);
                    if slot == Slot::Field {
                        nil = false;
                    }
                }
                buf.clear();
            }
            Event::Text(t) if capturing => buf.push_str(&t.xml10_content()),
            Event::CData(t) if capturing => buf.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if capturing => match r.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                Ok(None) => match r.as_ref() {
                    "lt" => buf.push('<'),
                    "gt" => buf.push('>'),
                    "amp" => buf.push('&'),
                    "quot" => buf.push('"'),
                    "apos" => buf.push('\''),
                    other => {
                        return Err(xml_syntax(
                            P,
                            reader.buffer_position(),
                            &format!("undefined entity `&{other};`"),
                        ));
                    }
                },
                Err(e) => {
                    return Err(xml_syntax(P, reader.buffer_position(), &e.to_string()));
                }
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(xml_syntax(
            P,
            reader.buffer_position(),
            "the document ends inside an element",
        ));
    }
    if msg.count == 0 {
        return Err(shape(
            P,
            "notifications.Notification",
            "the outbound message carries no Notification",
            hint,
        ));
    }
    Ok(msg)
}

fn captures(slot: Slot) -> bool {
    matches!(
        slot,
        Slot::OrgId | Slot::ActionId | Slot::NotificationId | Slot::Field
    )
}

fn finish(slot: Slot, msg: &mut OutboundMessage, text: &str, field: &str, nil: bool) {
    let value = text.trim();
    match slot {
        Slot::OrgId => msg.organization_id = Some(value.to_owned()),
        Slot::ActionId => msg.action_id = Some(value.to_owned()),
        Slot::NotificationId => {
            if let Some(n) = msg.notifications.last_mut() {
                n.id = Some(value.to_owned()).filter(|v| !v.is_empty());
            }
        }
        Slot::Field if !nil && !value.is_empty() => {
            if let Some(n) = msg.notifications.last_mut() {
                n.fields.insert(field.to_owned(), value.to_owned());
            }
        }
        _ => {}
    }
}

/// The value of an `xsi:` attribute.
fn xsi_attr(reader: &NsReader<&[u8]>, e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let (ns, local) = reader.resolver().resolve_attribute(a.key);
        (bound_to(&ns, XSI_NS) && local.as_ref() == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.trim().to_owned())
            })
            .flatten()
    })
}
