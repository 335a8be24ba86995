//! The media library over HTTP: uploads (good and bad), metadata, renditions and their crops,
//! permissions. Test images are made here with the `image` crate.

use axum::http::{Method, StatusCode};
use image::{ImageEncoder, RgbImage};
use owlery_domain::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::support::{CookieJar, TestApp, TestResponse};

pub const BOUNDARY: &str = "owlery-test-boundary";

/// A `multipart/form-data` body: `(name, file name, bytes)`.
pub fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, file_name, bytes) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A picture with detail: a diagonal gradient with a bright square in the top left quarter.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 {
            image::Rgb([255, 240, 0])
        } else {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
        }
    })
}

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(picture(w, h).as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(picture(w, h).as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A JPEG whose EXIF says "rotate 90° clockwise to show" (orientation 6).
fn jpeg_rotated(w: u32, h: u32) -> Vec<u8> {
    let plain = jpeg(w, h);
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"Exif\0\0MM\0\x2a\0\0\0\x08");
    tiff.extend_from_slice(&[0, 1]); // one entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    let len = u16::try_from(tiff.len() + 2).unwrap().to_be_bytes();
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1, len[0], len[1]];
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG whose header claims `w`×`h` (a decompression bomb's calling card).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(4, 4);
    // IHDR data starts at 16 (8 signature + 4 length + 4 type); its CRC follows 13 bytes of data.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A library item of `user`'s in `workspace`, stored directly, with an `x`/`post` rendition.
pub async fn fixture(
    app: &TestApp,
    user: &crate::support::TestUser,
    workspace: owlery_domain::WorkspaceId,
) -> owlery_domain::MediaId {
    use owlery_store::media::{Crop, Focal, MediaMeta, NewMedia, NewRendition};
    let media = app
        .store()
        .insert_media(
            &owlery_domain::audit::Actor::cli(),
            NewMedia {
                workspace_id: workspace,
                uploaded_by: user.id,
                file_name: "fixture.jpg".into(),
                format: "jpeg".into(),
                kind: "image".into(),
                width: 40,
                height: 30,
                duration_ms: None,
                video_codec: None,
                frame_rate: None,
                meta: MediaMeta::default(),
                bytes: jpeg(40, 30),
                thumbnail: Some(jpeg(40, 30)),
            },
        )
        .await
        .unwrap();
    app.store()
        .store_renditions(
            media.id,
            None,
            Focal { x: 0.5, y: 0.5 },
            vec![NewRendition {
                network: "x".into(),
                placement: "post".into(),
                width: 40,
                height: 22,
                format: "jpeg".into(),
                quality: Some(85),
                crop: Crop {
                    x: 0,
                    y: 4,
                    width: 40,
                    height: 22,
                },
                bytes: jpeg(40, 22),
            }],
        )
        .await
        .unwrap();
    media.id
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    fields: &[(&str, Option<&str>, &[u8])],
) -> (StatusCode, Value) {
    let (ct, body) = multipart(fields);
    app.api_raw(Method::POST, "/media", token, Some(&ct), body)
        .await
}

async fn raw_get(app: &TestApp, path: &str, token: &str) -> TestResponse {
    app.send(
        axum::http::Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn upload_read_list_edit_delete() {
    for app in TestApp::all_backends().await {
        let backend = app.backend();
        let ws = app.workspace("Main").await;
        let (_, token) = app
            .user_with_token("pia@example.test", Role::Publisher)
            .await;
        let photo = jpeg(800, 600);
        let (status, item) = upload(
            &app,
            &token,
            &[
                ("file", Some("owl.jpg"), &photo),
                ("alt", None, b"A yellow square on a gradient"),
                ("tags", None, b"Brand, summer"),
                ("usage_rights", None, b"CC BY 4.0, credit Acme"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend}: {item}");
        assert_eq!(item["workspace_id"], json!(ws.id), "the only workspace");
        assert_eq!(
            (&item["format"], &item["mime_type"], &item["kind"]),
            (&json!("jpeg"), &json!("image/jpeg"), &json!("image"))
        );
        assert_eq!(
            (item["width"].as_i64(), item["height"].as_i64()),
            (Some(800), Some(600))
        );
        assert_eq!(item["byte_size"].as_u64(), Some(photo.len() as u64));
        assert_eq!(item["tags"], json!(["brand", "summer"]));
        assert_eq!(item["expired"], json!(false));
        assert_eq!(item["focal_point"], Value::Null);
        let id = item["id"].as_str().unwrap().to_owned();

        let (status, got) = app.get(&format!("/media/{id}"), &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, item);
        let file = raw_get(&app, item["file_url"].as_str().unwrap(), &token).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.header("content-type"), Some("image/jpeg"));
        assert_eq!(&file.body[..], &photo[..]);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "media.upload"
        );

        let (status, png_item) = upload(
            &app,
            &token,
            &[
                ("file", Some("logo.png"), &png(300, 200)),
                ("workspace_id", None, ws.id.to_string().as_bytes()),
                ("expires_at", None, b"2020-01-01"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{png_item}");
        assert_eq!(png_item["format"], "png");
        assert_eq!(png_item["expired"], json!(true), "its rights ended in 2020");

        // Newest first, paged; filtered by tag.
        let (_, page) = app.get("/media?limit=1", &token).await;
        assert_eq!(page["items"][0]["id"], png_item["id"]);
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, page2) = app
            .get(&format!("/media?limit=1&cursor={cursor}"), &token)
            .await;
        assert_eq!(page2["items"][0]["id"], item["id"]);
        assert_eq!(page2["next_cursor"], Value::Null);
        let (_, tagged) = app.get("/media?tag=Summer", &token).await;
        assert_eq!(tagged["items"].as_array().unwrap().len(), 1);
        let (status, _) = app.get("/media?cursor=nonsense", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Edit: fields left out stay; null clears.
        let (status, edited) = app
            .patch_json(
                &format!("/media/{id}"),
                &token,
                json!({"alt": "Owl", "expires_at": "2020-06-01T00:00:00Z", "focal_point": {"x": 0.25, "y": 0.75}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["alt"], "Owl");
        assert_eq!(edited["tags"], json!(["brand", "summer"]));
        assert_eq!(edited["expired"], json!(true));
        assert_eq!(edited["focal_point"], json!({"x": 0.25, "y": 0.75}));
        let (_, cleared) = app
            .patch_json(
                &format!("/media/{id}"),
                &token,
                json!({"expires_at": null, "focal_point": null}),
            )
            .await;
        assert_eq!(cleared["expired"], json!(false));
        assert_eq!(cleared["expires_at"], Value::Null);
        assert_eq!(cleared["focal_point"], Value::Null);
        for bad in [
            json!({"focal_point": {"x": 1.5, "y": 0.5}}),
            json!({"tags": ["x".repeat(51)]}),
            json!({"colour": "red"}),
        ] {
            let (status, body) = app
                .patch_json(&format!("/media/{id}"), &token, bad.clone())
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }

        let (status, _) = app.delete(&format!("/media/{id}"), &token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app.get(&format!("/media/{id}"), &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = app.get("/media", &token).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn exif_orientation_is_applied() {
    let app = TestApp::sqlite().await;
    app.workspace("Main").await;
    let (_, token) = app
        .user_with_token("pia@example.test", Role::Publisher)
        .await;
    let (status, item) = upload(
        &app,
        &token,
        &[("file", Some("phone.jpg"), &jpeg_rotated(64, 32))],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(
        (item["width"].as_i64(), item["height"].as_i64()),
        (Some(32), Some(64)),
        "stored upright"
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_reason() {
    let app = TestApp::builder()
        .config(|c| c.max_upload_bytes = 200_000)
        .sqlite()
        .await;
    app.workspace("Main").await;
    let (_, token) = app
        .user_with_token("pia@example.test", Role::Publisher)
        .await;
    let photo = jpeg(200, 150);
    type Fields<'a> = Vec<(&'a str, Option<&'a str>, Vec<u8>)>;
    let cases: Vec<(&str, Fields, StatusCode, &str)> = vec![
        (
            "truncated",
            vec![("file", Some("cut.jpg"), photo[..photo.len() / 3].to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated",
        ),
        (
            "a PNG named .jpg",
            vec![("file", Some("photo.jpg"), png(10, 10))],
            StatusCode::UNPROCESSABLE_ENTITY,
            "type_mismatch",
        ),
        (
            "not an image",
            vec![("file", Some("notes.jpg"), b"just some text".to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_type",
        ),
        (
            "empty",
            vec![("file", Some("empty.jpg"), Vec::new())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "a bomb (too many pixels)",
            vec![("file", Some("bomb.png"), png_claiming(12_000, 12_000))],
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_pixels",
        ),
        (
            "a side too long",
            vec![("file", Some("wide.png"), png_claiming(40_000, 10))],
            StatusCode::UNPROCESSABLE_ENTITY,
            "dimensions_too_large",
        ),
        (
            "no file",
            vec![("alt", None, b"alone".to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_file",
        ),
        (
            "an unknown field",
            vec![
                ("file", Some("a.jpg"), photo.clone()),
                ("colour", None, b"red".to_vec()),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
        (
            "a bad expiry",
            vec![
                ("file", Some("a.jpg"), photo.clone()),
                ("expires_at", None, b"next week".to_vec()),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_expires_at",
        ),
        (
            "too large",
            vec![("file", Some("big.jpg"), vec![0xFF; 300_000])],
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
        ),
    ];
    for (what, fields, status, code) in cases {
        let fields: Vec<(&str, Option<&str>, &[u8])> = fields
            .iter()
            .map(|(n, f, b)| (*n, *f, b.as_slice()))
            .collect();
        let (got, body) = upload(&app, &token, &fields).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{what}: {body}"
        );
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = app
        .api_raw(
            Method::POST,
            "/media",
            &token,
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (_, list) = app.get("/media", &token).await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
}

fn find<'a>(set: &'a Value, network: &str, placement: &str, tw: u64, th: u64) -> &'a Value {
    set["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["network"] == network
                && r["placement"] == placement
                && r["target_width"] == tw
                && r["target_height"] == th
        })
        .unwrap_or_else(|| panic!("no {network} {placement} {tw}x{th} in {set}"))
}

#[tokio::test]
async fn renditions_follow_the_focal_point() {
    for app in TestApp::all_backends().await {
        app.workspace("Main").await;
        let (_, token) = app
            .user_with_token("pia@example.test", Role::Publisher)
            .await;
        let (_, item) = upload(
            &app,
            &token,
            &[("file", Some("big.jpg"), &jpeg(2400, 1800))],
        )
        .await;
        let id = item["id"].as_str().unwrap().to_owned();
        let (status, set) = app
            .get(
                &format!("/media/{id}/renditions?network=instagram,x"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["focal_point_automatic"], json!(true));
        assert!(set["failures"].as_array().unwrap().is_empty(), "{set}");
        let feed = find(&set, "instagram", "feed", 1080, 1350);
        assert_eq!(
            (feed["width"].as_i64(), feed["height"].as_i64()),
            (Some(1080), Some(1350))
        );
        assert_eq!(feed["crop"]["height"], 1800);
        assert_eq!(feed["crop"]["width"], 1440);
        let story = find(&set, "instagram", "story", 1080, 1920);
        // The original is too narrow to fill 1080 wide at 9:16: smaller, same shape.
        assert_eq!(story["crop"]["height"], 1800);
        assert!(story["width"].as_i64().unwrap() < 1080);
        let x = find(&set, "x", "post", 1200, 675);
        assert_eq!(
            (x["width"].as_i64(), x["height"].as_i64()),
            (Some(1200), Some(675))
        );
        assert!(x["byte_size"].as_i64().unwrap() > 0);

        // The bytes are what the metadata says.
        let file = raw_get(&app, x["url"].as_str().unwrap(), &token).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.header("content-type"), Some("image/jpeg"));
        let img = image::load_from_memory(&file.body).unwrap();
        assert_eq!((img.width(), img.height()), (1200, 675));

        // Asked again: the same renditions, not made anew.
        let (_, again) = app
            .get(&format!("/media/{id}/renditions?network=x"), &token)
            .await;
        assert_eq!(again["items"][0]["crop"], x["crop"]);

        // The focal point at the top: the X crop starts at the top.
        let (_, _) = app
            .patch_json(
                &format!("/media/{id}"),
                &token,
                json!({"focal_point": {"x": 0.5, "y": 0.0}}),
            )
            .await;
        let old = raw_get(&app, x["url"].as_str().unwrap(), &token).await;
        assert_eq!(
            old.status,
            StatusCode::NOT_FOUND,
            "dropped with the old focal point"
        );
        let (_, top) = app
            .get(&format!("/media/{id}/renditions?network=x"), &token)
            .await;
        assert_eq!(top["focal_point"], json!({"x": 0.5, "y": 0.0}));
        assert_eq!(top["focal_point_automatic"], json!(false));
        assert_eq!(top["items"][0]["crop"]["y"], 0);
        // …and at the bottom, the crop ends at the bottom.
        app.patch_json(
            &format!("/media/{id}"),
            &token,
            json!({"focal_point": {"x": 0.5, "y": 1.0}}),
        )
        .await;
        let (_, bottom) = app
            .get(&format!("/media/{id}/renditions?network=x"), &token)
            .await;
        assert_eq!(bottom["items"][0]["crop"]["y"], 1800 - 1350);

        for (query, code) in [
            ("?network=myspace", "unknown_network"),
            ("", "invalid_parameter"),
            ("?network=", "network_required"),
        ] {
            let (status, body) = app
                .get(&format!("/media/{id}/renditions{query}"), &token)
                .await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{query}"
            );
        }
        let (status, _) = app
            .get(
                &format!("/media/{id}/renditions/x/post/file?size=huge"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn media_stays_in_its_workspace() {
    let app = TestApp::sqlite().await;
    let mine = app.workspace("Mine").await;
    let theirs = app.workspace("Theirs").await;
    let (_, owner) = app
        .user_with_token("olivia@example.test", Role::Owner)
        .await;
    let (status, body) = upload(&app, &owner, &[("file", Some("a.jpg"), &jpeg(40, 30))]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("workspace_required")),
        "two workspaces: say which"
    );
    let (_, theirs_item) = upload(
        &app,
        &owner,
        &[
            ("file", Some("a.jpg"), &jpeg(40, 30)),
            ("workspace_id", None, theirs.id.to_string().as_bytes()),
        ],
    )
    .await;
    let contributor = app
        .user_with_grants(
            "cora@example.test",
            &[Grant {
                role: Role::Contributor,
                scope: Scope::Workspace(mine.id),
            }],
        )
        .await;
    let token = app.token(&contributor).await;
    let (status, mine_item) = upload(&app, &token, &[("file", Some("b.jpg"), &jpeg(40, 30))]).await;
    assert_eq!(status, StatusCode::CREATED, "{mine_item}");
    assert_eq!(mine_item["workspace_id"], json!(mine.id));
    let (status, _) = upload(
        &app,
        &token,
        &[
            ("file", Some("b.jpg"), &jpeg(40, 30)),
            ("workspace_id", None, theirs.id.to_string().as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/media", &token).await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&mine_item["id"]]);
    let other = theirs_item["id"].as_str().unwrap();
    for path in [
        format!("/media/{other}"),
        format!("/media/{other}/file"),
        format!("/media/{other}/renditions?network=x"),
    ] {
        let (status, _) = app.get(&path, &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = app
        .get(&format!("/media?workspace_id={}", theirs.id), &token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, analyst) = app.user_with_token("ana@example.test", Role::Analyst).await;
    let (status, _) = upload(&app, &analyst, &[("file", Some("c.jpg"), &jpeg(40, 30))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---- pages ----

/// A page request with the jar's cookies and, for posts, the CSRF header.
async fn page_request(
    app: &TestApp,
    jar: &CookieJar,
    method: Method,
    path: &str,
    csrf: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> TestResponse {
    let mut req = axum::http::Request::builder().method(method).uri(path);
    if let Some(cookie) = jar.header() {
        req = req.header("cookie", cookie);
    }
    if let Some(token) = csrf {
        req = req
            .header("x-csrf-token", token)
            .header("hx-request", "true");
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    app.send(req.body(axum::body::Body::from(body)).unwrap())
        .await
}

#[tokio::test]
async fn the_library_page_uploads_previews_and_edits() {
    let app = TestApp::sqlite().await;
    app.workspace("Main").await;
    let pia = app.user("pia@example.test", Role::Publisher).await;
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&pia, &mut jar).await;

    let page = app.get_page("/media", &mut jar).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("hx-encoding=\"multipart/form-data\""));
    assert!(
        html.contains("href=\"/media\" aria-current=\"page\""),
        "the nav item is current"
    );

    // Upload through the form (htmx sends the CSRF header).
    let (ct, body) = multipart(&[
        ("csrf_token", None, csrf.as_bytes()),
        ("file", Some("big.jpg"), &jpeg(2400, 1800)),
        ("alt", None, b"A yellow square"),
        ("tags", None, b"brand"),
    ]);
    let res = page_request(
        &app,
        &jar,
        Method::POST,
        "/media",
        Some(&csrf),
        Some(&ct),
        body.clone(),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let to = res.header("hx-redirect").unwrap().to_owned();
    let id = to.strip_prefix("/media/").unwrap().to_owned();

    // Without the token: refused.
    let res = page_request(&app, &jar, Method::POST, "/media", None, Some(&ct), body).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // A bad file: the reason, above the form.
    let (ct, body) = multipart(&[("file", Some("notes.jpg"), b"plain text")]);
    let res = page_request(
        &app,
        &jar,
        Method::POST,
        "/media",
        Some(&csrf),
        Some(&ct),
        body,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.text().contains("data-code=\"unknown_type\""),
        "{}",
        res.text()
    );

    let html = app.get_page("/media", &mut jar).await.text();
    assert!(
        html.contains(&format!("src=\"/media/{id}/thumb\"")),
        "{html}"
    );
    let thumb = app.get_page(&format!("/media/{id}/thumb"), &mut jar).await;
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));
    let img = image::load_from_memory(&thumb.body).unwrap();
    assert_eq!(img.width().max(img.height()), 480);
    let original = app
        .get_page(&format!("/media/{id}/original"), &mut jar)
        .await;
    assert_eq!(original.status, StatusCode::OK);
    assert_eq!(original.header("content-type"), Some("image/jpeg"));

    // Previews of the chosen networks, each served as an image.
    let detail = app
        .get_page(
            &format!("/media/{id}?network=x&network=instagram"),
            &mut jar,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    let html = detail.text();
    let x_url = format!("/media/{id}/renditions/x/post?size=1200x675");
    assert!(html.contains(&x_url.replace('&', "&amp;")), "{html}");
    assert!(html.contains("data-focal-form=\"media-focal-form\""));
    let x = app.get_page(&x_url, &mut jar).await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.header("content-type"), Some("image/jpeg"));

    // Setting the focal point (what a click does) moves the crop.
    let res = app
        .post_form(
            &format!("/media/{id}/focal?network=x"),
            &mut jar,
            &[("csrf_token", &csrf), ("x", "0.5"), ("y", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(
        res.location(),
        Some(format!("/media/{id}?saved=focal&network=x").as_str())
    );
    let media = app
        .store()
        .media(owlery_domain::MediaId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(media.focal.map(|f| (f.x, f.y)), Some((0.5, 0.0)));
    let html = app.get_page(res.location().unwrap(), &mut jar).await.text();
    assert!(
        html.contains("0,0 2400×1350"),
        "the X crop starts at the top: {html}"
    );
    let res = app
        .post_form(
            &format!("/media/{id}/focal"),
            &mut jar,
            &[("csrf_token", &csrf), ("x", "2"), ("y", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Metadata.
    let res = app
        .post_form(
            &format!("/media/{id}"),
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("alt", "An owl"),
                ("tags", "night, Owls"),
                ("usage_rights", "Ours"),
                ("expires_at", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let html = app
        .get_page(&format!("/media/{id}?saved=1"), &mut jar)
        .await
        .text();
    assert!(html.contains(">An owl</textarea>"));
    assert!(html.contains("value=\"night, owls\""));
    assert!(html.contains("badge-danger"), "expired");
    let res = app
        .post_form(
            &format!("/media/{id}"),
            &mut jar,
            &[("csrf_token", &csrf), ("expires_at", "soon")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let res = app
        .post_form(
            &format!("/media/{id}/delete"),
            &mut jar,
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.location(), Some("/media?deleted=1"));
    let gone = app.get_page(&format!("/media/{id}"), &mut jar).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn library_pages_need_posts_draft() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Main").await;
    let owner = app.user("olivia@example.test", Role::Owner).await;
    let id = fixture(&app, &owner, ws.id).await;
    let ana = app.user("ana@example.test", Role::Analyst).await;
    let mut jar = CookieJar::default();
    app.sign_in_directly(&ana, &mut jar).await;
    for path in [
        "/media".to_owned(),
        format!("/media/{id}"),
        format!("/media/{id}/thumb"),
        format!("/media/{id}/original"),
        format!("/media/{id}/renditions/x/post"),
    ] {
        let res = app.get_page(&path, &mut jar).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let mut anonymous = CookieJar::default();
    let res = app
        .get_page(&format!("/media/{id}/thumb"), &mut anonymous)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}
