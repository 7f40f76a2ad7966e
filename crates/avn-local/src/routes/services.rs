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

use super::error::ApiResult;
use super::parse;
use super::require_project;
use super::service_rec;
use super::views;
use super::AppState;
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
    change_tags(&s, &rec.id, |_| body.tags.clone())
}

/// `PATCH .../tags`: set the keys given, remove those given as null, keep the rest.
pub async fn update_tags(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Changes {
        tags: std::collections::BTreeMap<String, Option<String>>,
    }
    let body: Changes = parse(&body)?;
    let rec = service_rec(&s, &p, &name)?;
    change_tags(&s, &rec.id, |current| {
        let mut tags = current.clone();
        for (k, v) in &body.tags {
            match v {
                Some(v) => tags.insert(k.clone(), v.clone()),
                None => tags.remove(k),
            };
        }
        tags
    })
}

/// Change a service's tags in one step under the store's lock, so that two clients racing for a
/// rename lease cannot both win: a lease is never handed from one rename to another.
fn change_tags(
    s: &AppState,
    id: &str,
    change: impl FnOnce(&std::collections::BTreeMap<String, String>) -> std::collections::BTreeMap<String, String>,
) -> ApiResult<Json<wrap::MessageOut>> {
    let refused = s.manager.store(|st| {
        let Some(rec) = st.service_by_id(id)? else { return Ok(Some(None)) };
        let after = change(&rec.tags);
        if let Err(why) = avn_api::lease::check_change(&rec.tags, &after) {
            return Ok(Some(Some(why)));
        }
        st.set_tags(id, &after)?;
        Ok(None)
    })?;
    match refused {
        None => Ok(Json(wrap::MessageOut { message: "tags updated".into() })),
        Some(None) => Err(super::error::ApiError::not_found("Service not found")),
        Some(Some(why)) => Err(super::error::ApiError::conflict(why)),
    }
}

pub async fn backups(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<BackupsResponse>> {
    let rec = service_rec(&s, &p, &name)?;
    let mysql = rec.service_type == "mysql";
    let backups = s.manager.store(|st| st.backups(&rec.id))?.iter().map(|b| views::backup(b, mysql)).collect();
    let (pitr_range_start, pitr_range_end) = match s.manager.pitr_window(&rec)? {
        // Caching forks from named backups only: it has no recovery window.
        Some((start, end)) if s.manager.engine_of(&rec)?.has_pitr() => (Some(start), end),
        _ => (None, None),
    };
    Ok(Json(BackupsResponse {
        backups,
        // Caching has no point-in-time recovery: no window at all, as on Aiven.
        pitr: s.manager.engine_of(&rec)?.has_pitr().then_some(Pitr {
            primary_region: PitrRange { pitr_range_start, pitr_range_end },
            additional_regions: vec![],
        }),
        backup_progress: Some(None),
        scheduled_backup_time: Some(ScheduledBackupTime {
            backup_interval_hours: Some(s.manager.backup_interval_hours()),
            ..Default::default()
        }),
        extra: Default::default(),
    }))
}
