//! CSV rows → request trees. Columns are named by field path:
//! `id`, `letter`, `date`, `reference`, `language`, `recipient.name`,
//! `recipient.address.1` … `recipient.address.5`, `recipient.postcode`,
//! `fields.<name>` (a `lines` field as `fields.<name>.1`, `.2`, …) and
//! `optional` (ids separated by `;`). Empty cells are left out.

use crate::request::tree::{Key, Node, Pos, Value};

fn scalar(text: &str, pos: Pos) -> Node {
    Node {
        value: Value::Scalar {
            text: text.to_owned(),
            string: true,
        },
        pos,
    }
}

/// Inserts `value` at `path` (dotted; numeric segments index lists, 1-based).
fn insert(map: &mut Vec<(Key, Node)>, path: &[&str], value: Node) {
    let Some((head, rest)) = path.split_first() else {
        return;
    };
    let pos = value.pos;
    if rest.is_empty() {
        map.push((
            Key {
                name: (*head).to_owned(),
                pos,
            },
            value,
        ));
        return;
    }
    let is_index = rest.len() == 1 && rest[0].parse::<usize>().is_ok();
    let idx = map.iter().position(|(k, _)| k.name == *head);
    let idx = idx.unwrap_or_else(|| {
        map.push((
            Key {
                name: (*head).to_owned(),
                pos,
            },
            Node {
                value: if is_index {
                    Value::Seq(Vec::new())
                } else {
                    Value::Map(Vec::new())
                },
                pos,
            },
        ));
        map.len() - 1
    });
    match &mut map[idx].1.value {
        Value::Seq(items) if is_index => items.push(value),
        Value::Map(inner) => insert(inner, rest, value),
        _ => {}
    }
}

/// Builds the tree of one row; positions are (line of the row, column number).
pub(crate) fn row_to_tree(headers: &[String], record: &[String], line: u32) -> Node {
    let mut root: Vec<(Key, Node)> = Vec::new();
    // Address and list columns go in numeric order whatever the column order.
    let mut cells: Vec<(usize, &str, &str)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| record.get(i).map(|v| (i, h.as_str(), v.trim())))
        .filter(|(_, _, v)| !v.is_empty())
        .collect();
    cells.sort_by_key(|(i, h, _)| {
        let base = h
            .rsplit_once('.')
            .filter(|(_, n)| n.parse::<usize>().is_ok())
            .map_or(*h, |(p, _)| p);
        let first = headers
            .iter()
            .position(|x| x.starts_with(base))
            .unwrap_or(*i);
        let n = h
            .rsplit('.')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        (first, n)
    });
    for (i, header, value) in cells {
        let pos = Pos {
            line,
            column: i as u32 + 1,
        };
        if header == "optional" {
            let items = value
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| scalar(s, pos))
                .collect();
            insert(
                &mut root,
                &["optional"],
                Node {
                    value: Value::Seq(items),
                    pos,
                },
            );
            continue;
        }
        let path: Vec<&str> = header.split('.').collect();
        insert(&mut root, &path, scalar(value, pos));
    }
    Node {
        value: Value::Map(root),
        pos: Pos { line, column: 1 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_columns_become_a_list_in_order() {
        let headers: Vec<String> = [
            "recipient.address.2",
            "id",
            "recipient.address.1",
            "fields.reason",
            "recipient.address.3",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let rec: Vec<String> = ["Leeds", "r1", "14 Church Lane", "payments", ""]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let node = row_to_tree(&headers, &rec, 7);
        let Value::Map(m) = &node.value else {
            panic!("map")
        };
        let recipient = m
            .iter()
            .find(|(k, _)| k.name == "recipient")
            .expect("recipient");
        let Value::Map(r) = &recipient.1.value else {
            panic!("map")
        };
        let Value::Seq(lines) = &r[0].1.value else {
            panic!("seq")
        };
        let texts: Vec<_> = lines
            .iter()
            .map(|n| match &n.value {
                Value::Scalar { text, .. } => text.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(texts, ["14 Church Lane", "Leeds"]);
        assert_eq!(lines[0].pos, Pos { line: 7, column: 3 });
        assert!(m.iter().any(|(k, _)| k.name == "fields"));
    }
}
