//! Services: list, get, create (and fork), update, delete, and their backups.

use avn_api::wrap;
use avn_api::BackupsResponse;
use avn_api::Pitr;
use avn_api::PitrRange;
use avn_api::ScheduledBackupTime;
use avn_api::ServiceCreate;
use avn_api::ServiceUpdate;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::parse;
use super::require_project;
use super::service_rec;
use super::views;
use super::AppState;
use crate::error::ApiResult;
use crate::ops;

pub async fn list(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<wrap::ServicesOut>> {
    require_project(&s, &p)?;
    let recs = s.manager.store(|st| st.services(Some(&p)))?;
    let mut services = Vec::with_capacity(recs.len());
    for r in &recs {
        services.push(views::service(&s, r, false).await?);
    }
    Ok(Json(wrap::ServicesOut { services }))
}

pub async fn get(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<wrap::ServiceOut>> {
    let rec = service_rec(&s, &p, &name)?;
    Ok(Json(wrap::ServiceOut { service: views::service(&s, &rec, true).await? }))
}

pub async fn create(
    State(s): State<AppState>,
    Path(p): Path<String>,
    body: Bytes,
) -> ApiResult<Json<wrap::ServiceOut>> {
    let body: ServiceCreate = parse(&body)?;
    let rec = ops::create(&s.manager, &p, body)?;
    Ok(Json(wrap::ServiceOut { service: views::service(&s, &rec, false).await? }))
}

pub async fn update(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<wrap::ServiceOut>> {
    require_project(&s, &p)?;
    let body: ServiceUpdate = parse(&body)?;
    let rec = ops::update(&s.manager, &p, &name, body).await?;
    Ok(Json(wrap::ServiceOut { service: views::service(&s, &rec, false).await? }))
}

pub async fn delete(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    ops::delete(&s.manager, &p, &name).await?;
    Ok(Json(wrap::MessageOut { message: "deleted".into() }))
}

pub async fn tags(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<wrap::TagsOut>> {
    let rec = service_rec(&s, &p, &name)?;
    Ok(Json(wrap::TagsOut { tags: rec.tags }))
}

/// `PUT .../tags`: replace the service's tags (Aiven's rule: an empty map clears them).
pub async fn replace_tags(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    let body: wrap::TagsOut = parse(&body)?;
    let rec = service_rec(&s, &p, &name)?;
    s.manager.store(|st| st.set_tags(&rec.id, &body.tags))?;
    Ok(Json(wrap::MessageOut { message: "tags updated".into() }))
}

pub async fn backups(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<BackupsResponse>> {
    let rec = service_rec(&s, &p, &name)?;
    let backups = s.manager.store(|st| st.backups(&rec.id))?.iter().map(views::backup).collect();
    let (pitr_range_start, pitr_range_end) = match s.manager.pitr_window(&rec)? {
        Some((start, end)) => (Some(start), end),
        None => (None, None),
    };
    Ok(Json(BackupsResponse {
        backups,
        pitr: Some(Pitr { primary_region: PitrRange { pitr_range_start, pitr_range_end }, additional_regions: vec![] }),
        backup_progress: Some(None),
        scheduled_backup_time: Some(ScheduledBackupTime {
            backup_interval_hours: Some(s.manager.backup_interval_hours()),
            ..Default::default()
        }),
        extra: Default::default(),
    }))
}
