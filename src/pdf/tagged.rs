//! The structure tree of a tagged PDF (PDF/UA-1, PDF/A-2a level A), built
//! from the [`Tag`] layout gives every text run.
//!
//! Elements, in reading order: `Document` holding `H1`, `H2`, `P`, `L` (with
//! `LI` → `Lbl`, `LBody`) and `Table` (with `TR` → `TH`, `TD`; the label
//! column's `TH` has `/Scope /Row`). Each run of consecutive items of one
//! element on a page becomes one marked-content sequence with its own MCID;
//! the page's entry in the parent tree lists the element of every MCID.
//! Footers are pagination artifacts and table rules layout artifacts, so a
//! screen reader skips them.

use std::collections::HashMap;

use pdf_writer::{Finish, Name, Ref};

use super::{Out, push_int, push_ref};

use crate::fonts::FastBuild;
use crate::layout::Tag;

/// A structure element's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Document,
    H1,
    H2,
    P,
    L,
    LI,
    Lbl,
    LBody,
    Table,
    TR,
    TH,
    TD,
}

impl Role {
    /// The structure type (`/S`), also the tag of its marked content.
    pub(super) fn name(self) -> Name<'static> {
        Name(match self {
            Role::Document => b"Document",
            Role::H1 => b"H1",
            Role::H2 => b"H2",
            Role::P => b"P",
            Role::L => b"L",
            Role::LI => b"LI",
            Role::Lbl => b"Lbl",
            Role::LBody => b"LBody",
            Role::Table => b"Table",
            Role::TR => b"TR",
            Role::TH => b"TH",
            Role::TD => b"TD",
        })
    }
}

/// A child of a structure element.
#[derive(Debug, Clone, Copy)]
enum Kid {
    Elem(usize),
    /// Marked content `mcid` on page `page` (index).
    Content {
        page: usize,
        mcid: i32,
    },
}

#[derive(Debug)]
struct Elem {
    role: Role,
    /// None for the document element (its parent is the tree root).
    parent: Option<usize>,
    kids: Vec<Kid>,
}

/// A heading, for the outline.
#[derive(Debug, Clone)]
pub(super) struct Heading {
    /// 1 or 2.
    pub level: u8,
    /// Its text, lines joined by spaces.
    pub title: String,
    /// Page index.
    pub page: usize,
    /// Top of its first line, PDF points from the page's bottom.
    pub top: f32,
}

/// The structure tree as it is built, page by page, in reading order.
#[derive(Debug)]
pub(super) struct Structure {
    elems: Vec<Elem>,
    /// Per page: the element of each MCID.
    parents: Vec<Vec<usize>>,
    /// Leaf elements by tag; lists, items, tables and rows by id.
    leaves: HashMap<Tag, usize, FastBuild>,
    groups: HashMap<(u8, u32, u32), usize, FastBuild>,
    /// Headings in reading order, and the tag of each.
    pub headings: Vec<Heading>,
    heading_tags: Vec<Tag>,
}

const DOCUMENT: usize = 0;

impl Structure {
    pub(super) fn new(pages: usize) -> Structure {
        // Sized for a two-page letter (about 60 elements), so that building
        // the tree rarely reallocates.
        let mut elems = Vec::with_capacity(96);
        elems.push(Elem {
            role: Role::Document,
            parent: None,
            kids: Vec::with_capacity(48),
        });
        Structure {
            elems,
            parents: vec![Vec::with_capacity(48); pages],
            leaves: HashMap::with_capacity_and_hasher(96, FastBuild::default()),
            groups: HashMap::with_capacity_and_hasher(16, FastBuild::default()),
            headings: Vec::new(),
            heading_tags: Vec::new(),
        }
    }

    fn push(&mut self, role: Role, parent: usize) -> usize {
        let id = self.elems.len();
        self.elems.push(Elem {
            role,
            parent: Some(parent),
            kids: Vec::new(),
        });
        self.elems[parent].kids.push(Kid::Elem(id));
        id
    }

    /// The grouping element `role` with key `(kind, a, b)` under `parent`,
    /// made on first use.
    fn group(&mut self, key: (u8, u32, u32), role: Role, parent: usize) -> usize {
        if let Some(&g) = self.groups.get(&key) {
            return g;
        }
        let g = self.push(role, parent);
        self.groups.insert(key, g);
        g
    }

    /// The leaf element of `tag` (None for an artifact), made on first use.
    fn leaf(&mut self, tag: Tag) -> Option<usize> {
        if let Some(&e) = self.leaves.get(&tag) {
            return Some(e);
        }
        let e = match tag {
            Tag::Artifact => return None,
            // Each stretch is a paragraph of its own (never looked up again).
            Tag::Unassigned => return Some(self.push(Role::P, DOCUMENT)),
            Tag::Heading { level, .. } => {
                self.push(if level == 1 { Role::H1 } else { Role::H2 }, DOCUMENT)
            }
            Tag::Paragraph { .. } => self.push(Role::P, DOCUMENT),
            Tag::ListLabel { list, item } | Tag::ListBody { list, item } => {
                let l = self.group((0, list, 0), Role::L, DOCUMENT);
                let li = self.group((1, list, item), Role::LI, l);
                let role = if matches!(tag, Tag::ListLabel { .. }) {
                    Role::Lbl
                } else {
                    Role::LBody
                };
                self.push(role, li)
            }
            Tag::Cell { table, row, header } => {
                let t = self.group((2, table, 0), Role::Table, DOCUMENT);
                let tr = self.group((3, table, row), Role::TR, t);
                self.push(if header { Role::TH } else { Role::TD }, tr)
            }
        };
        self.leaves.insert(tag, e);
        Some(e)
    }

    /// Opens a marked-content sequence of `tag` on page `page`: its MCID and
    /// the tag to write it with, or None for an artifact.
    pub(super) fn open(&mut self, page: usize, tag: Tag) -> Option<(i32, Name<'static>)> {
        let e = self.leaf(tag)?;
        let list = self.parents.get_mut(page)?;
        let mcid = list.len() as i32;
        list.push(e);
        self.elems[e].kids.push(Kid::Content { page, mcid });
        Some((mcid, self.elems[e].role.name()))
    }

    /// Notes the text of a heading run for the outline.
    pub(super) fn heading_text(&mut self, tag: Tag, page: usize, top: f32, text: &str) {
        let Tag::Heading { level, .. } = tag else {
            return;
        };
        match self.heading_tags.iter().position(|t| *t == tag) {
            Some(i) => {
                let h = &mut self.headings[i];
                if !h.title.ends_with(' ') {
                    h.title.push(' ');
                }
                h.title.push_str(text.trim());
            }
            None => {
                self.heading_tags.push(tag);
                self.headings.push(Heading {
                    level,
                    title: text.trim().to_owned(),
                    page,
                    top,
                });
            }
        }
    }

    /// Gives every table row a header and a data cell, so that every row
    /// has the same two columns even when a label or value is empty.
    fn complete_rows(&mut self) {
        let rows: Vec<usize> = (0..self.elems.len())
            .filter(|&e| self.elems[e].role == Role::TR)
            .collect();
        for tr in rows {
            let has = |s: &Structure, role| {
                s.elems[tr]
                    .kids
                    .iter()
                    .any(|k| matches!(k, Kid::Elem(c) if s.elems[*c].role == role))
            };
            if !has(self, Role::TH) {
                let th = self.push(Role::TH, tr);
                // push appended it; a header comes first.
                let kid = self.elems[tr].kids.pop();
                self.elems[tr].kids.splice(0..0, kid);
                let _ = th;
            }
            if !has(self, Role::TD) {
                self.push(Role::TD, tr);
            }
        }
    }

    /// Writes the tree: the root at `root`, the elements from `alloc`.
    /// `pages` are the page objects.
    pub(super) fn write(
        mut self,
        out: &mut Out,
        root: Ref,
        pages: &[Ref],
        alloc: &mut impl FnMut() -> Ref,
    ) {
        self.complete_rows();
        let refs: Vec<Ref> = self.elems.iter().map(|_| alloc()).collect();
        for (i, e) in self.elems.iter().enumerate() {
            // Written by hand: dozens of these small dictionaries per letter,
            // without the optional `/Type /StructElem`.
            let b = out.begin_raw(refs[i]);
            b.extend_from_slice(b"<</S/");
            b.extend_from_slice(e.role.name().0);
            b.extend_from_slice(b"/P ");
            push_ref(b, e.parent.map_or(root, |p| refs[p]));
            let first_page = e.kids.iter().find_map(|k| match k {
                Kid::Content { page, .. } => Some(*page),
                Kid::Elem(_) => None,
            });
            let page_ref = first_page.and_then(|p| pages.get(p));
            if let Some(p) = page_ref {
                b.extend_from_slice(b"/Pg ");
                push_ref(b, *p);
            }
            match e.kids.as_slice() {
                [] => {}
                [Kid::Elem(c)] => {
                    b.extend_from_slice(b"/K ");
                    push_ref(b, refs[*c]);
                }
                [Kid::Content { mcid, .. }] if page_ref.is_some() => {
                    b.extend_from_slice(b"/K ");
                    push_int(b, *mcid);
                }
                kids => {
                    b.extend_from_slice(b"/K[");
                    for (n, kid) in kids.iter().enumerate() {
                        if n > 0 {
                            b.push(b' ');
                        }
                        match *kid {
                            Kid::Elem(c) => push_ref(b, refs[c]),
                            Kid::Content { page, mcid } if Some(page) == first_page => {
                                push_int(b, mcid);
                            }
                            Kid::Content { page, mcid } => {
                                b.extend_from_slice(b"<</Type/MCR/Pg ");
                                if let Some(p) = pages.get(page) {
                                    push_ref(b, *p);
                                }
                                b.extend_from_slice(b"/MCID ");
                                push_int(b, mcid);
                                b.extend_from_slice(b">>");
                            }
                        }
                    }
                    b.push(b']');
                }
            }
            if e.role == Role::TH {
                b.extend_from_slice(b"/A<</O/Table/Scope/Row>>");
            }
            b.extend_from_slice(b">>");
            out.end_raw();
        }

        let mut tree = out
            .at(root)
            .indirect(root)
            .start::<pdf_writer::writers::StructTreeRoot>();
        tree.child(refs[DOCUMENT]);
        let mut parent_tree = tree.insert(Name(b"ParentTree")).dict();
        let mut nums = parent_tree.insert(Name(b"Nums")).array();
        for (page, elems) in self.parents.iter().enumerate() {
            nums.item(page as i32);
            nums.push().array().items(elems.iter().map(|e| refs[*e]));
        }
        nums.finish();
        parent_tree.finish();
        tree.parent_tree_next_key(self.parents.len() as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_tables_nest_and_rows_get_both_cells() {
        let mut s = Structure::new(2);
        let p = Tag::Paragraph { id: 1 };
        assert_eq!(s.open(0, p).map(|m| m.0), Some(0));
        s.open(0, Tag::ListLabel { list: 2, item: 3 });
        s.open(0, Tag::ListBody { list: 2, item: 3 });
        s.open(0, Tag::ListLabel { list: 2, item: 4 });
        s.open(1, Tag::ListBody { list: 2, item: 4 });
        s.open(
            1,
            Tag::Cell {
                table: 5,
                row: 0,
                header: false,
            },
        );
        assert_eq!(s.open(1, Tag::Artifact), None);
        s.open(1, p);
        s.complete_rows();
        let roles = |e: usize| -> Vec<Role> {
            s.elems[e]
                .kids
                .iter()
                .filter_map(|k| match k {
                    Kid::Elem(c) => Some(s.elems[*c].role),
                    Kid::Content { .. } => None,
                })
                .collect()
        };
        assert_eq!(roles(DOCUMENT), [Role::P, Role::L, Role::Table]);
        assert_eq!(s.parents[0].len(), 4);
        assert_eq!(s.parents[1].len(), 3);
        let l = s.leaves[&Tag::ListBody { list: 2, item: 3 }];
        let l = s.elems[s.elems[l].parent.unwrap_or(0)].parent.unwrap_or(0);
        assert_eq!(roles(l), [Role::LI, Role::LI]);
        let td = s.leaves[&Tag::Cell {
            table: 5,
            row: 0,
            header: false,
        }];
        let tr = s.elems[td].parent.unwrap_or(0);
        assert_eq!(
            roles(tr),
            [Role::TH, Role::TD],
            "the missing header is added first"
        );
        // The paragraph continues on page 2: one element, two sequences.
        let p = s.leaves[&p];
        assert_eq!(s.elems[p].kids.len(), 2);
    }

    #[test]
    fn each_stretch_of_untagged_text_is_a_paragraph_of_its_own() {
        let mut s = Structure::new(1);
        assert_eq!(s.open(0, Tag::Unassigned).map(|m| m.0), Some(0));
        assert_eq!(s.open(0, Tag::Unassigned).map(|m| m.0), Some(1));
        let kids: Vec<(Role, usize)> = s.elems[DOCUMENT]
            .kids
            .iter()
            .filter_map(|k| match k {
                Kid::Elem(c) => Some((s.elems[*c].role, s.elems[*c].kids.len())),
                Kid::Content { .. } => None,
            })
            .collect();
        assert_eq!(kids, [(Role::P, 1), (Role::P, 1)]);
    }
}
