//! Service users, databases and connection pools (`{base}/user`, `{base}/db`,
//! `{base}/connection_pool`).

use avn_api::inventory::Database;
use avn_api::inventory::DatabaseCreate;
use avn_api::inventory::DatabasesOut;
use avn_api::inventory::PoolCreate;
use avn_api::inventory::PoolUpdate;
use avn_api::inventory::UserCreate;
use avn_api::inventory::UserModify;
use avn_api::inventory::UserOut;
use avn_api::wrap;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::error::ApiResult;
use super::parse;
use super::require_project;
use super::views;
use super::AppState;
use crate::ops::inventory;
use crate::ops::pools;

type Base = Path<(String, String)>;
type Item = Path<(String, String, String)>;

fn message(text: impl Into<String>) -> Json<wrap::MessageOut> {
    Json(wrap::MessageOut { message: text.into() })
}

pub async fn create_user(State(s): State<AppState>, Path((p, name)): Base, body: Bytes) -> ApiResult<Json<UserOut>> {
    require_project(&s, &p)?;
    let body: UserCreate = parse(&body)?;
    let (user, password) = inventory::create_user(&s.manager, &p, &name, &body).await?;
    Ok(Json(UserOut { user: views::user(engine_named(&s, &p, &name)?, &user, Some(password)) }))
}

pub async fn get_user(State(s): State<AppState>, Path((p, name, user)): Item) -> ApiResult<Json<UserOut>> {
    require_project(&s, &p)?;
    let password = inventory::user(&s.manager, &p, &name, &user).await?;
    let engine = engine_named(&s, &p, &name)?;
    let mut shown = views::user(engine, &user, password);
    // A Caching user's ACL rules, as its server has them now.
    if let Some(rec) = s.manager.store(|st| st.service(&p, &name))?.filter(|r| s.manager.running(&r.id).is_some()) {
        if let Some(ac) = engine.access_controls(&s.manager, &rec).await.and_then(|mut a| a.remove(&user)) {
            shown.extra.insert("access_control".into(), ac);
        }
    }
    Ok(Json(UserOut { user: shown }))
}

/// The engine of service `name` in project `p`.
fn engine_named<'a>(s: &'a AppState, p: &str, name: &str) -> ApiResult<&'a crate::engines::Engine> {
    let rec = s
        .manager
        .store(|st| st.service(p, name))?
        .ok_or_else(|| crate::error::Refusal::not_found(format!("Service {name} does not exist")))?;
    Ok(s.manager.engine_of(&rec)?)
}

pub async fn modify_user(
    State(s): State<AppState>,
    Path((p, name, user)): Item,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    let body: UserModify = parse(&body)?;
    inventory::modify_user(&s.manager, &p, &name, &user, &body).await?;
    Ok(message("updated"))
}

pub async fn delete_user(State(s): State<AppState>, Path((p, name, user)): Item) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    inventory::delete_user(&s.manager, &p, &name, &user).await?;
    Ok(message("deleted"))
}

pub async fn databases(State(s): State<AppState>, Path((p, name)): Base) -> ApiResult<Json<DatabasesOut>> {
    require_project(&s, &p)?;
    let databases = inventory::databases(&s.manager, &p, &name)
        .await?
        .into_iter()
        .map(|(database_name, locale)| {
            let (lc_collate, lc_ctype) = locale.map(|(c, t)| (Some(c), Some(t))).unwrap_or_default();
            Database { database_name, lc_collate, lc_ctype, extra: Default::default() }
        })
        .collect();
    Ok(Json(DatabasesOut { databases }))
}

pub async fn create_database(
    State(s): State<AppState>,
    Path((p, name)): Base,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    let body: DatabaseCreate = parse(&body)?;
    inventory::create_database(&s.manager, &p, &name, &body).await?;
    Ok(message("created"))
}

pub async fn delete_database(
    State(s): State<AppState>,
    Path((p, name, db)): Item,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    inventory::delete_database(&s.manager, &p, &name, &db).await?;
    Ok(message("deleted"))
}

pub async fn create_pool(
    State(s): State<AppState>,
    Path((p, name)): Base,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    let body: PoolCreate = parse(&body)?;
    pools::create(&s.manager, &p, &name, &body).await?;
    Ok(message("created"))
}

pub async fn update_pool(
    State(s): State<AppState>,
    Path((p, name, pool)): Item,
    body: Bytes,
) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    let body: PoolUpdate = parse(&body)?;
    pools::update(&s.manager, &p, &name, &pool, &body).await?;
    Ok(message("updated"))
}

pub async fn delete_pool(State(s): State<AppState>, Path((p, name, pool)): Item) -> ApiResult<Json<wrap::MessageOut>> {
    require_project(&s, &p)?;
    pools::delete(&s.manager, &p, &name, &pool).await?;
    Ok(message("deleted"))
}
