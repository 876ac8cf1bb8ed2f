//! Hosted-UI branding rows (SetUICustomization): one per pool and client id, `ALL` for the
//! pool's default. Pages read only the summary (no CSS text, no image); the CSS and logo
//! endpoints read the row.

use super::{Store, StoreResult};
use crate::ids::PoolId;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UiCustomizationRow {
    pub pool_id: PoolId,
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

/// A summary as selected: the CSS only as its length.
#[derive(sqlx::FromRow)]
struct SummaryRecord {
    client_id: String,
    css_len: Option<i64>,
    image_type: Option<String>,
    version: String,
}

impl From<SummaryRecord> for UiCustomizationSummary {
    fn from(r: SummaryRecord) -> Self {
        UiCustomizationSummary {
            client_id: r.client_id,
            has_css: r.css_len.is_some_and(|n| n > 0),
            image_type: r.image_type,
            version: r.version,
        }
    }
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
        Ok(sqlx::query_as("SELECT * FROM ui_customizations WHERE pool_id = $1 AND client_id = $2")
            .bind(pool_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The summaries of `client_id`'s row and the pool default's (`ALL`), whichever exist.
    pub async fn ui_customization_summaries(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> StoreResult<Vec<UiCustomizationSummary>> {
        let rows: Vec<SummaryRecord> = sqlx::query_as(
            "SELECT client_id, CAST(LENGTH(css) AS BIGINT) AS css_len, image_type, version \
             FROM ui_customizations WHERE pool_id = $1 AND client_id IN ($2, 'ALL')",
        )
        .bind(pool_id)
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(UiCustomizationSummary::from).collect())
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
