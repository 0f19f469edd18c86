//! One mailpiece from several PDFs: the covering letter first, then the
//! exact copy, page for page (lopdf). The copy's pages are taken as they
//! are, so the copy keeps its own bytes on the page.

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};

/// The pages of `parts`, in order, as one PDF. The document-level entries
/// (language, viewer preferences, info) are the first part's.
///
/// # Errors
/// When a part is not a PDF lopdf can read.
pub fn concat(parts: &[&[u8]]) -> Result<Vec<u8>, String> {
    let mut out = Document::with_version("1.7");
    let mut kids: Vec<ObjectId> = Vec::new();
    let mut first_catalog: Option<Dictionary> = None;
    let mut first_info: Option<Object> = None;
    for (k, bytes) in parts.iter().enumerate() {
        let mut d = Document::load_mem(bytes).map_err(|e| format!("part {}: {e}", k + 1))?;
        d.renumber_objects_with(out.max_id + 1);
        let pages: Vec<ObjectId> = d.get_pages().into_values().collect();
        let mut flat = Vec::new();
        for pid in &pages {
            let page = crate::pack::bundle::materialise(&d, *pid).map_err(|e| e.to_string())?;
            flat.push((*pid, page));
        }
        if k == 0 {
            first_catalog = d.catalog().ok().cloned();
            first_info = d
                .trailer
                .get(b"Info")
                .ok()
                .and_then(|o| o.as_reference().ok())
                .and_then(|r| d.get_object(r).ok().cloned());
        }
        let skip: Vec<ObjectId> = d
            .objects
            .iter()
            .filter(|(_, o)| {
                o.as_dict().is_ok_and(|dict| {
                    matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"Catalog" || n == b"Pages")
                })
            })
            .map(|(id, _)| *id)
            .collect();
        out.max_id = out.max_id.max(d.max_id);
        for (id, o) in d.objects {
            if !skip.contains(&id) {
                out.objects.insert(id, o);
            }
        }
        for (pid, dict) in flat {
            out.objects.insert(pid, Object::Dictionary(dict));
            kids.push(pid);
        }
    }
    let pages_id = out.new_object_id();
    for pid in &kids {
        if let Ok(Object::Dictionary(d)) = out.get_object_mut(*pid) {
            d.set("Parent", pages_id);
        }
    }
    out.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
            "Count" => kids.len() as i64,
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some(c) = first_catalog {
        for key in [&b"Lang"[..], b"ViewerPreferences"] {
            if let Ok(v) = c.get(key) {
                catalog.set(key, v.clone());
            }
        }
    }
    let catalog_id = out.add_object(catalog);
    out.trailer.set("Root", catalog_id);
    if let Some(info) = first_info {
        let info_id = out.add_object(info);
        out.trailer.set("Info", info_id);
    }
    out.prune_objects();
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}
