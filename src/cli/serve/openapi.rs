//! `/openapi.json`: the service described in OpenAPI 3.1, built at start-up
//! from the catalog, with one request schema per letter code (the JSON
//! Schema of [`letterkit::request::schema`], which OpenAPI 3.1 takes as it
//! is).

use letterkit::Engine;
use serde_json::{Map, Value, json};

fn problem_ref() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

fn problems(codes: &[u16]) -> Map<String, Value> {
    let mut m = Map::new();
    for c in codes {
        let what = match c {
            400 => "A query parameter or header is not valid",
            401 => "No bearer token, or an unknown one",
            403 => "The client lacks the role",
            404 => "Not found",
            409 => "The outbox refused (too late, already cancelled, suppressed)",
            406 => {
                "A braille letter asked for as application/pdf only: it is three files, served as JSON"
            }
            413 => "The body is too large",
            415 => "The body is not JSON",
            422 => "The request is not valid: every problem in errors",
            429 => "Rate limited: see Retry-After",
            503 => "The outbox is unavailable",
            _ => "Problem",
        };
        m.insert(
            c.to_string(),
            json!({"description": what, "content": problem_ref()}),
        );
    }
    m
}

fn with(mut base: Map<String, Value>, extra: Value) -> Value {
    if let Some(e) = extra.as_object() {
        for (k, v) in e {
            base.insert(k.clone(), v.clone());
        }
    }
    Value::Object(base)
}

fn idempotency_header() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "The same key and body give the first response again; the same key with another body gives 422.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
    })
}

fn id_param() -> Value {
    json!({
        "name": "id", "in": "path", "required": true,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,120}$"}
    })
}

/// The OpenAPI 3.1 document.
pub fn spec(engine: &Engine) -> Value {
    let cat = engine.catalog();
    let mut schemas = Map::new();
    let mut refs = Vec::new();
    for l in cat.letters() {
        let mut s = letterkit::request::schema::letter_schema(cat, l);
        if let Some(o) = s.as_object_mut() {
            // The dialect is the document's (jsonSchemaDialect); an $id
            // would move every relative $ref.
            o.remove("$schema");
            o.remove("$id");
        }
        schemas.insert(l.code.clone(), s);
        refs.push(json!({"$ref": format!("#/components/schemas/{}", l.code)}));
    }
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "pointer", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "pointer": {"type": "string"},
                            "message": {"type": "string"},
                            "path": {"type": "string"},
                            "line": {"type": "integer"},
                            "column": {"type": "integer"},
                            "allowed": {"type": "array", "items": {"type": "string"}},
                            "suggestion": {"type": "string"},
                            "parameter": {"type": "string"}
                        }
                    }
                }
            }
        }),
    );
    let history = json!({
        "type": "object",
        "required": ["at", "by", "to", "reason"],
        "properties": {
            "at": {"type": "string"}, "by": {"type": "string"},
            "from": {"type": ["string", "null"]}, "to": {"type": "string"},
            "reason": {"type": "string"}
        }
    });
    let file_ref = json!({
        "type": "object", "required": ["href", "bytes", "sha256"],
        "properties": {
            "href": {"type": "string"},
            "bytes": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}
        }
    });
    schemas.insert(
        "Letter".into(),
        json!({
            "type": "object",
            "required": ["schema", "id", "code", "state", "transmission", "cancellable_until", "sha256", "pages", "sheets", "postage", "created_at", "state_at"],
            "properties": {
                "schema": {"const": "letterkit.letter.v1"},
                "id": {"type": "string"},
                "code": {"type": "string"},
                "state": {"enum": ["queued", "transmitted", "despatched", "rejected", "returned", "cancelled", "suppressed", "superseded"]},
                "transmission": {"type": "string", "format": "date"},
                "cancellable_until": {"type": "string"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "pages": {"type": "integer", "minimum": 1},
                "sheets": {"type": "integer", "minimum": 1},
                "postage": {"enum": ["first", "second", "economy"]},
                "created_at": {"type": "string"},
                "state_at": {"type": "string"},
                "reissue_of": {"type": "string"},
                "already": {"type": "boolean"},
                "superseded": {"type": "array", "items": {"type": "string"}},
                "copy_source": {"enum": ["rendered", "stored", "braille"]},
                "braille": {
                    "type": "object",
                    "description": "A braille letter's BRF and PEF, beside its carrier page PDF",
                    "required": ["format", "braille_pages", "brf", "pef"],
                    "properties": {
                        "format": {"type": "string", "pattern": "^braille:[12]:(a4|book)$"},
                        "braille_pages": {"type": "integer", "minimum": 0},
                        "brf": file_ref.clone(),
                        "pef": file_ref.clone()
                    }
                },
                "history": {"type": "array", "items": history}
            }
        }),
    );
    schemas.insert("LetterRequest".into(), json!({"oneOf": refs}));
    let letter_ok = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Letter"}}}});
    let security = json!([{"bearer": []}]);
    let body = json!({
        "required": true,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LetterRequest"}}}
    });
    let mut paths = Map::new();
    paths.insert("/v1/render".into(), json!({"post": {
        "summary": "Render a letter: the PDF, or with Accept: application/json its metadata and the PDF in base64. A braille letter (format: braille) is always JSON: the carrier page PDF, the BRF and the PEF, each in base64 with its SHA-256; asked for as application/pdf only, it is refused with 406",
        "operationId": "render",
        "security": security,
        "parameters": [idempotency_header()],
        "requestBody": body,
        "responses": with(problems(&[400, 401, 403, 406, 409, 413, 415, 422, 429, 503]), json!({"200": {
            "description": "The letter",
            "content": {
                "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}},
                "application/json": {"schema": {"oneOf": [{
                    "type": "object",
                    "required": ["schema", "code", "pages", "bytes", "sha256", "catalog_digest", "pdf_base64"],
                    "properties": {
                        "schema": {"const": "letterkit.render.v1"},
                        "code": {"type": "string"}, "pages": {"type": "integer"},
                        "bytes": {"type": "integer"}, "sha256": {"type": "string"},
                        "catalog_digest": {"type": "string"},
                        "pdf_base64": {"type": "string", "contentEncoding": "base64"}
                    }
                }, {
                    "type": "object",
                    "required": ["schema", "code", "pages", "braille_pages", "catalog_digest", "bytes", "sha256", "pdf_base64", "brf_bytes", "brf_sha256", "brf_base64", "pef_bytes", "pef_sha256", "pef_base64"],
                    "properties": {
                        "schema": {"const": "letterkit.render-braille.v1"},
                        "code": {"type": "string"}, "pages": {"type": "integer"},
                        "braille_pages": {"type": "integer"},
                        "catalog_digest": {"type": "string"},
                        "bytes": {"type": "integer"}, "sha256": {"type": "string"},
                        "pdf_base64": {"type": "string", "contentEncoding": "base64", "description": "the carrier page"},
                        "brf_bytes": {"type": "integer"}, "brf_sha256": {"type": "string"},
                        "brf_base64": {"type": "string", "contentEncoding": "base64", "description": "Braille ASCII"},
                        "pef_bytes": {"type": "integer"}, "pef_sha256": {"type": "string"},
                        "pef_base64": {"type": "string", "contentEncoding": "base64", "description": "PEF 1.0"}
                    }
                }]}}
            }
        }}))
    }}));
    paths.insert("/v1/letters".into(), json!({
        "post": {
            "summary": "Render a letter and queue it in the outbox for the next transmission",
            "operationId": "queueLetter",
            "security": security,
            "parameters": [idempotency_header(), {
                "name": "postage", "in": "query", "required": false,
                "schema": {"enum": ["first", "second", "economy"]}
            }],
            "requestBody": body,
            "responses": with(problems(&[400, 401, 403, 409, 413, 415, 422, 429, 503]), json!({
                "201": letter_ok("Queued"),
                "200": letter_ok("Already queued with the same request: nothing added")
            }))
        },
        "get": {
            "summary": "The outbox's letters, by transmission day and state",
            "operationId": "listLetters",
            "security": security,
            "parameters": [
                {"name": "day", "in": "query", "required": false, "schema": {"type": "string", "format": "date"}},
                {"name": "state", "in": "query", "required": false, "schema": {"enum": ["queued", "transmitted", "despatched", "rejected", "returned", "cancelled", "suppressed", "superseded"]}}
            ],
            "responses": with(problems(&[400, 401, 403, 429, 503]), json!({"200": {
                "description": "The letters",
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["schema", "letters"],
                    "properties": {
                        "schema": {"const": "letterkit.letters.v1"},
                        "letters": {"type": "array", "items": {"$ref": "#/components/schemas/Letter"}}
                    }
                }}}
            }}))
        }
    }));
    paths.insert("/v1/letters/{id}".into(), json!({"get": {
        "summary": "A letter and its history",
        "operationId": "showLetter",
        "security": security,
        "parameters": [id_param()],
        "responses": with(problems(&[401, 403, 404, 429, 503]), json!({"200": letter_ok("The letter")}))
    }}));
    paths.insert("/v1/letters/{id}/pdf".into(), json!({"get": {
        "summary": "A queued letter's PDF",
        "operationId": "letterPdf",
        "security": security,
        "parameters": [id_param()],
        "responses": with(problems(&[401, 403, 404, 409, 429, 503]), json!({"200": {
            "description": "The PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}
        }}))
    }}));
    for (file, media, what) in [
        ("brf", "text/plain", "Braille ASCII"),
        ("pef", "application/x-pef+xml", "PEF 1.0"),
    ] {
        paths.insert(format!("/v1/letters/{{id}}/{file}"), json!({"get": {
            "summary": format!("A braille letter's {} ({what}); 409 for a print letter", file.to_uppercase()),
            "operationId": format!("letter{}", file.to_uppercase()),
            "security": security,
            "parameters": [id_param()],
            "responses": with(problems(&[401, 403, 404, 409, 429, 503]), json!({"200": {
                "description": what,
                "content": {media: {"schema": {"type": "string"}}}
            }}))
        }}));
    }
    paths.insert("/v1/letters/{id}/cancel".into(), json!({"post": {
        "summary": "Cancel a queued letter before its transmission's cut-off",
        "operationId": "cancelLetter",
        "security": security,
        "parameters": [id_param(), idempotency_header()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false, "required": ["reason"],
            "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}}
        }}}},
        "responses": with(problems(&[400, 401, 403, 404, 409, 413, 415, 422, 429, 503]), json!({"200": letter_ok("Cancelled")}))
    }}));
    paths.insert("/v1/letters/{id}/reissue".into(), json!({"post": {
        "summary": "Reissue a sent letter: an exact copy behind a covering letter",
        "operationId": "reissueLetter",
        "security": security,
        "parameters": [id_param(), idempotency_header()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false, "required": ["date", "reason"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "reason": {"type": "string", "minLength": 1, "maxLength": 500}
            }
        }}}},
        "responses": with(problems(&[400, 401, 403, 404, 409, 413, 415, 422, 429, 503]), json!({"201": letter_ok("The reissue, queued")}))
    }}));
    paths.insert("/v1/catalog".into(), json!({"get": {
        "summary": "The letters of the catalog",
        "operationId": "catalog",
        "security": security,
        "responses": with(problems(&[401, 429]), json!({"200": {
            "description": "The catalog",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["schema", "catalog_digest", "letters"],
                "properties": {
                    "schema": {"const": "letterkit.catalog.v1"},
                    "catalog_digest": {"type": "string"},
                    "letters": {"type": "array", "items": {"type": "object", "required": ["code", "title", "href"]}}
                }
            }}}
        }}))
    }}));
    paths.insert("/v1/catalog/{code}".into(), json!({"get": {
        "summary": "One letter's definition and the JSON Schema of its request",
        "operationId": "catalogLetter",
        "security": security,
        "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": with(problems(&[401, 404, 429]), json!({"200": {
            "description": "The letter",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["schema", "catalog_digest", "letter", "json_schema"],
                "properties": {
                    "schema": {"const": "letterkit.catalog-letter.v1"},
                    "catalog_digest": {"type": "string"},
                    "letter": {"type": "object"},
                    "json_schema": {"type": "object"}
                }
            }}}
        }}))
    }}));
    let pack_name = json!({
        "name": "name", "in": "path", "required": true,
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}
    });
    let attachments = json!({
        "type": "array", "maxItems": 20,
        "items": {
            "type": "object", "additionalProperties": false, "required": ["name", "content_base64"],
            "properties": {
                "name": {"type": "string"},
                "content_base64": {"type": "string", "contentEncoding": "base64"}
            }
        }
    });
    let step_ok = |d: &str| {
        json!({"description": d, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["schema", "pack", "kind", "step", "date", "added", "entries", "status", "next", "signed"],
            "properties": {
                "schema": {"const": "letterkit.pack-step.v1"},
                "pack": {"type": "string"}, "kind": {"type": "string"}, "step": {"type": "string"},
                "date": {"type": "string"}, "added": {"type": "array", "items": {"type": "string"}},
                "superseded": {"type": "array", "items": {"type": "string"}},
                "warnings": {"type": "array", "items": {"type": "string"}},
                "entries": {"type": "integer"}, "status": {"type": "string"},
                "next": {"type": "array", "items": {"type": "string"}}, "signed": {"type": "boolean"}
            }
        }}}})
    };
    paths.insert("/v1/packs".into(), json!({"post": {
        "summary": "Create a court pack with its first step (the --packs folder)",
        "operationId": "createPack",
        "security": security,
        "parameters": [idempotency_header()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false, "required": ["name", "kind", "date"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
                "kind": {"enum": letterkit::pack::PackKind::ALL.map(letterkit::pack::PackKind::name)},
                "date": {"type": "string", "format": "date"},
                "data": {"type": "object", "description": "the step's keys, as letterkit pack steps lists them"},
                "attachments": attachments
            }
        }}}},
        "responses": with(problems(&[400, 401, 403, 404, 409, 413, 415, 422, 429, 503]), json!({"201": step_ok("Created")}))
    }}));
    paths.insert("/v1/packs/{name}/steps/{step}".into(), json!({"post": {
        "summary": "Take a step of a pack, with its data and attachments",
        "operationId": "stepPack",
        "security": security,
        "parameters": [pack_name, {"name": "step", "in": "path", "required": true, "schema": {"type": "string"}}, idempotency_header()],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false, "required": ["date"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "data": {"type": "object"},
                "attachments": attachments
            }
        }}}},
        "responses": with(problems(&[400, 401, 403, 404, 409, 413, 415, 422, 429, 503]), json!({"200": step_ok("The step is recorded")}))
    }}));
    paths.insert("/v1/packs/{name}".into(), json!({"get": {
        "summary": "A pack's stages and entries (never its step data)",
        "operationId": "showPack",
        "security": security,
        "parameters": [pack_name],
        "responses": with(problems(&[401, 403, 404, 422, 429, 503]), json!({"200": {"description": "The pack", "content": {"application/json": {"schema": {
            "type": "object", "required": ["schema", "pack", "kind", "status", "stages", "entries", "next", "signature"],
            "properties": {"schema": {"const": "letterkit.pack.v1"}}
        }}}}}))
    }}));
    paths.insert("/v1/packs/{name}/verify".into(), json!({"get": {
        "summary": "Verify a pack against its manifest and signature",
        "operationId": "verifyPack",
        "security": security,
        "parameters": [pack_name],
        "responses": with(problems(&[401, 403, 404, 422, 429, 503]), json!({"200": {"description": "The result", "content": {"application/json": {"schema": {
            "type": "object", "required": ["schema", "pack", "ok", "signature", "problems"],
            "properties": {
                "schema": {"const": "letterkit.pack-verify.v1"},
                "ok": {"type": "boolean"},
                "problems": {"type": "array", "items": {"type": "string"}}
            }
        }}}}}))
    }}));
    paths.insert("/v1/packs/{name}/zip".into(), json!({"get": {
        "summary": "Download the pack",
        "operationId": "downloadPack",
        "security": security,
        "parameters": [pack_name],
        "responses": with(problems(&[401, 403, 404, 429, 503]), json!({"200": {"description": "The pack", "content": {"application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}}}}}))
    }}));
    paths.insert("/v1/packs/{name}/bundle".into(), json!({"get": {
        "summary": "The court bundle PDF (the documents meant for the court; include and exclude change the choice as letterkit pack bundle --include/--exclude do)",
        "operationId": "packBundle",
        "security": security,
        "parameters": [pack_name,
            {"name": "include", "in": "query", "required": false, "style": "form", "explode": true,
             "description": "Add documents to the default choice: a document code (pv-check-record) or an entry file",
             "schema": {"type": "array", "maxItems": 32, "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}}},
            {"name": "exclude", "in": "query", "required": false, "style": "form", "explode": true,
             "description": "Leave documents out: a document code (CMEL9180, attachment) or an entry file",
             "schema": {"type": "array", "maxItems": 32, "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}}},
            {"name": "include_superseded", "in": "query", "required": false, "schema": {"type": "boolean"}}
        ],
        "responses": with(problems(&[400, 401, 403, 404, 422, 429, 503]), json!({"200": {
            "description": "The bundle",
            "headers": {
                "X-Letterkit-Pages": {"schema": {"type": "integer"}},
                "X-Letterkit-Conformance": {
                    "description": "`pdf-ua-1, pdf-a-2a`, or `none; reason=KINDS; problems=N` when an attached PDF keeps the bundle from conforming (kinds: font-not-embedded, font-without-unicode, cmyk-colour, attachment; never a name)",
                    "schema": {"type": "string"}
                }
            },
            "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}
        }}))
    }}));
    let status_doc = |s: &str| json!({"type": "object", "required": ["status"], "properties": {"status": {"const": s}}});
    paths.insert("/healthz".into(), json!({"get": {
        "summary": "The process is up",
        "operationId": "healthz",
        "security": [],
        "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": status_doc("ok")}}}}
    }}));
    paths.insert("/readyz".into(), json!({"get": {
        "summary": "The outbox can be reached",
        "operationId": "readyz",
        "security": [],
        "responses": with(problems(&[503]), json!({"200": {"description": "Ready", "content": {"application/json": {"schema": status_doc("ready")}}}}))
    }}));
    paths.insert("/metrics".into(), json!({"get": {
        "summary": "Prometheus metrics (the admin role)",
        "operationId": "metrics",
        "security": security,
        "responses": with(problems(&[401, 403, 429]), json!({"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}))
    }}));
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": letterkit::request::schema::DIALECT,
        "info": {
            "title": "letterkit",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Letters of the Child Maintenance Service as PDF, and the outbox. Catalog sha256 {}.", cat.digest()),
        },
        "servers": [{"url": "/"}],
        "security": security,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}
