//! Hosted-UI branding rows (SetUICustomization): one per pool and client id, `ALL` for the
//! pool's default. Pages read only the summary (no CSS text, no image); the CSS and logo
//! endpoints read the row.

use super::{Store, StoreResult, get_i64, get_opt_i64, get_opt_str, get_str};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiCustomizationRow {
    pub pool_id: String,
    /// A client id, or `ALL`.
    pub client_id: String,
    pub css: Option<String>,
    /// The logo, standard base64.
    pub image: Option<String>,
    /// `image/png` or `image/jpeg`, with `image`.
    pub image_type: Option<String>,
    pub version: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a page needs to link the branding of one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiCustomizationSummary {
    pub client_id: String,
    pub has_css: bool,
    pub image_type: Option<String>,
    pub version: String,
}

fn row(r: &AnyRow) -> StoreResult<UiCustomizationRow> {
    Ok(UiCustomizationRow {
        pool_id: get_str(r, "pool_id")?,
        client_id: get_str(r, "client_id")?,
        css: get_opt_str(r, "css")?,
        image: get_opt_str(r, "image")?,
        image_type: get_opt_str(r, "image_type")?,
        version: get_str(r, "version")?,
        created_at: get_i64(r, "created_at")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

impl Store {
    /// Insert or replace the row of (pool, client id); the creation time of a replaced row stays.
    pub async fn put_ui_customization(&self, c: &UiCustomizationRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO ui_customizations \
             (pool_id, client_id, css, image, image_type, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (pool_id, client_id) DO UPDATE SET css = excluded.css, image = excluded.image, \
             image_type = excluded.image_type, version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(&c.pool_id)
        .bind(&c.client_id)
        .bind(&c.css)
        .bind(&c.image)
        .bind(&c.image_type)
        .bind(&c.version)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_ui_customization(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<UiCustomizationRow>> {
        let r = sqlx::query("SELECT * FROM ui_customizations WHERE pool_id = $1 AND client_id = $2")
            .bind(pool_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(row).transpose()
    }

    /// The summaries of `client_id`'s row and the pool default's (`ALL`), whichever exist.
    pub async fn ui_customization_summaries(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> StoreResult<Vec<UiCustomizationSummary>> {
        let rows = sqlx::query(
            "SELECT client_id, CAST(LENGTH(css) AS BIGINT) AS css_len, image_type, version \
             FROM ui_customizations WHERE pool_id = $1 AND client_id IN ($2, 'ALL')",
        )
        .bind(pool_id)
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UiCustomizationSummary {
                    client_id: get_str(r, "client_id")?,
                    has_css: get_opt_i64(r, "css_len")?.is_some_and(|n| n > 0),
                    image_type: get_opt_str(r, "image_type")?,
                    version: get_str(r, "version")?,
                })
            })
            .collect()
    }

    pub async fn delete_ui_customization(&self, pool_id: &str, client_id: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM ui_customizations WHERE pool_id = $1 AND client_id = $2")
            .bind(pool_id)
            .bind(client_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
