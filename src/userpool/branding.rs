//! Hosted-UI branding (SetUICustomization / GetUICustomization): a CSS sheet
//! and a logo per pool (`ALL`, the default) or per client. A client's own setting replaces the
//! pool default entirely (no falling back part by part); a Set with neither CSS nor logo
//! clears that level, so its client falls back to `ALL` again.
//!
//! The CSS is checked by [`super::css`]; the logo must be a PNG or JPEG (by its magic bytes) of
//! at most [`MAX_LOGO_BYTES`]. Unlike Cognito no pool domain is required: path-style pool URLs
//! serve the pages too. The pages link both by a content-hash version, so caches may keep them.

use super::UserPools;
use super::css;
use super::error::{Error, Result};
use crate::ids::PoolId;
use crate::store::branding::{UiCustomizationRow, UiCustomizationSummary};
use base64::Engine;

/// The pool-default level's client id.
pub const ALL: &str = "ALL";
/// Cognito's logo limit: 100 KB.
pub const MAX_LOGO_BYTES: usize = 100 * 1024;
/// The model's limit for the base64 `ImageFile`.
pub const MAX_LOGO_BASE64_CHARS: usize = 131_072;

/// One level's branding as GetUICustomization reports it (no image bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiCustomization {
    pub pool_id: PoolId,
    /// A client id, or [`ALL`].
    pub client_id: String,
    pub css: Option<String>,
    pub image_type: Option<String>,
    /// Set when the level has any branding.
    pub version: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

impl UiCustomization {
    fn empty(pool_id: &str, client_id: &str) -> Self {
        UiCustomization {
            pool_id: pool_id.into(),
            client_id: client_id.into(),
            css: None,
            image_type: None,
            version: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn from_row(r: UiCustomizationRow) -> Self {
        UiCustomization {
            pool_id: r.pool_id,
            client_id: r.client_id,
            css: r.css,
            image_type: r.image_type,
            version: Some(r.version),
            created_at: Some(r.created_at),
            updated_at: Some(r.updated_at),
        }
    }
}

/// The logo of a level, ready to serve.
#[derive(Debug, Clone)]
pub struct Logo {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub version: String,
}

/// The file extension of an image type in URLs.
pub fn logo_extension(image_type: &str) -> &'static str {
    if image_type == "image/jpeg" { "jpg" } else { "png" }
}

/// `image/png` or `image/jpeg` by the file's magic bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A short hash of the content: changes exactly when the CSS or logo does.
fn version_of(css: Option<&str>, image: Option<&str>) -> String {
    let data = format!("{}\0{}", css.unwrap_or_default(), image.unwrap_or_default());
    crate::crypto::sha256_hex(&data)[..16].to_string()
}

fn decode_logo(b64: &str) -> Result<(String, &'static str)> {
    if b64.len() > MAX_LOGO_BASE64_CHARS {
        return Err(Error::invalid(format!(
            "ImageFile is too large: at most {MAX_LOGO_BASE64_CHARS} base64 characters (a logo of at most 100 KB)."
        )));
    }
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| Error::invalid("ImageFile is not valid base64."))?;
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(Error::invalid(format!(
            "The logo is {} bytes; at most {MAX_LOGO_BYTES} are allowed.",
            bytes.len()
        )));
    }
    let Some(kind) = image_type(&bytes) else {
        return Err(Error::invalid("ImageFile must be a PNG or JPEG image."));
    };
    Ok((base64::engine::general_purpose::STANDARD.encode(&bytes), kind))
}

impl UserPools {
    /// The level a request names: `ALL` (or none) for the pool default, else a client of the pool.
    async fn branding_level(&self, pool_id: &PoolId, client_id: Option<&str>) -> Result<String> {
        match client_id {
            None | Some(ALL) => Ok(ALL.into()),
            Some(id) => Ok(self.directory.client_named(pool_id, id).await?.id.into_string()),
        }
    }

    /// SetUICustomization: replace a level's CSS and logo; neither clears the level.
    pub async fn set_ui_customization(
        &self,
        pool_id: &PoolId,
        client_id: Option<&str>,
        css: Option<&str>,
        image_b64: Option<&str>,
    ) -> Result<UiCustomization> {
        let pool = self.directory.pool(pool_id).await?;
        let level = self.branding_level(&pool.id, client_id).await?;
        let css = css.filter(|c| !c.trim().is_empty());
        let image_b64 = image_b64.filter(|i| !i.trim().is_empty());
        if css.is_none() && image_b64.is_none() {
            self.store.delete_ui_customization(&pool.id, &level).await?;
            return Ok(UiCustomization::empty(&pool.id, &level));
        }
        if let Some(c) = css {
            css::check(c).map_err(|m| Error::InvalidParameter(m.into()))?;
        }
        let logo = image_b64.map(decode_logo).transpose()?;
        let now = self.now();
        let image = logo.as_ref().map(|(b64, _)| b64.clone());
        let row = UiCustomizationRow {
            pool_id: pool.id.clone(),
            client_id: level.clone(),
            css: css.map(str::to_string),
            version: version_of(css, image.as_deref()),
            image,
            image_type: logo.map(|(_, kind)| kind.to_string()),
            created_at: now,
            updated_at: now,
        };
        self.store.put_ui_customization(&row).await?;
        // The stored row keeps its first creation time.
        let stored = self.store.get_ui_customization(&pool.id, &level).await?.unwrap_or(row);
        Ok(UiCustomization::from_row(stored))
    }

    /// The dashboard's style-sheet form: replace a level's CSS and keep its logo (an empty
    /// style sheet and no logo clear the level, as SetUICustomization does).
    pub async fn set_branding_css(
        &self,
        pool_id: &PoolId,
        client_id: Option<&str>,
        css: &str,
    ) -> Result<UiCustomization> {
        let pool = self.directory.pool(pool_id).await?;
        let level = self.branding_level(&pool.id, client_id).await?;
        let image = self.store.get_ui_customization(&pool.id, &level).await?.and_then(|r| r.image);
        self.set_ui_customization(pool_id, client_id, Some(css), image.as_deref()).await
    }

    /// GetUICustomization: the client's own level, else the pool default (reported as `ALL`).
    pub async fn ui_customization(&self, pool_id: &PoolId, client_id: Option<&str>) -> Result<UiCustomization> {
        let pool = self.directory.pool(pool_id).await?;
        let level = self.branding_level(&pool.id, client_id).await?;
        if let Some(row) = self.store.get_ui_customization(&pool.id, &level).await? {
            return Ok(UiCustomization::from_row(row));
        }
        if level != ALL
            && let Some(row) = self.store.get_ui_customization(&pool.id, ALL).await?
        {
            return Ok(UiCustomization::from_row(row));
        }
        Ok(UiCustomization::empty(&pool.id, &level))
    }

    /// What a hosted page of `client_id` links: its own level, else the pool default.
    pub async fn page_branding(&self, pool_id: &PoolId, client_id: &str) -> Result<Option<UiCustomizationSummary>> {
        let mut found = self.store.ui_customization_summaries(pool_id, client_id).await?;
        found.sort_by_key(|s| s.client_id == ALL);
        Ok(found.into_iter().next())
    }

    /// The CSS of one level (no falling back: the URL names the level) and its version.
    pub async fn branding_css(&self, pool_id: &PoolId, level: &str) -> Result<Option<(String, String)>> {
        let row = self.store.get_ui_customization(pool_id, level).await?;
        Ok(row.and_then(|r| Some((r.css?, r.version))))
    }

    /// The logo of one level.
    pub async fn branding_logo(&self, pool_id: &PoolId, level: &str) -> Result<Option<Logo>> {
        let Some(row) = self.store.get_ui_customization(pool_id, level).await? else {
            return Ok(None);
        };
        let (Some(b64), Some(content_type)) = (row.image, row.image_type) else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(Error::internal)?;
        Ok(Some(Logo { content_type, bytes, version: row.version }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_recognised_by_their_magic_bytes() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n0000");
        assert_eq!(decode_logo(&png).unwrap().1, "image/png");
        let jpeg = base64::engine::general_purpose::STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]);
        assert_eq!(decode_logo(&jpeg).unwrap().1, "image/jpeg");
        let svg = base64::engine::general_purpose::STANDARD.encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>");
        assert!(decode_logo(&svg).unwrap_err().to_string().contains("PNG or JPEG"));
        assert!(decode_logo("not base64!").unwrap_err().to_string().contains("base64"));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        let big = base64::engine::general_purpose::STANDARD.encode(&big);
        assert!(decode_logo(&big).is_err());
    }

    #[test]
    fn versions_follow_the_content() {
        assert_eq!(version_of(Some("a"), None), version_of(Some("a"), None));
        assert_ne!(version_of(Some("a"), None), version_of(None, Some("a")));
        assert_eq!(version_of(Some("a"), None).len(), 16);
    }
}
