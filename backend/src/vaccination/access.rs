//! Who sees which patient (PRODUCT.md "Vaccination traceability", issue "who sees what"): a
//! professional sees the patients they — or staff typing under their authority — vaccinated
//! or consulted, and the patients seen in the structures where they practise. Typing a
//! patient's full NIR (the patient is in front of you) opens that file for the rest of the
//! session, and is audited. Nobody else, and nothing by URL.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::ExprTrait,
};
use uuid::Uuid;

use crate::{
    entities::{consultation, injection, patient_access, practice},
    error::AppResult,
};

/// Whoever records: the responsible professional, in a session, maybe through a delegate.
#[derive(Debug, Clone)]
pub struct Actor {
    pub professional_id: Uuid,
    pub professional_name: String,
    pub session_id: Uuid,
    /// The staff member typing under delegation.
    pub staff_member_id: Option<Uuid>,
    pub typist_name: Option<String>,
    pub terminal_id: Option<Uuid>,
}

pub async fn structures_of(
    db: &impl ConnectionTrait,
    professional_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    Ok(practice::Entity::find()
        .filter(practice::Column::ProfessionalId.eq(professional_id))
        .select_only()
        .column(practice::Column::StructureId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

pub async fn can_see(
    db: &impl ConnectionTrait,
    actor: &Actor,
    patient_id: Uuid,
) -> AppResult<bool> {
    let structures = structures_of(db, actor.professional_id).await?;
    can_see_from(db, actor, &structures, patient_id).await
}

/// `can_see` with the actor's structures already known (one lookup for many patients).
pub async fn can_see_from(
    db: &impl ConnectionTrait,
    actor: &Actor,
    structures: &[Uuid],
    patient_id: Uuid,
) -> AppResult<bool> {
    let by_injection = injection::Entity::find()
        .filter(injection::Column::PatientId.eq(patient_id))
        .filter(
            injection::Column::ProfessionalId
                .eq(actor.professional_id)
                .or(injection::Column::StructureId.is_in(structures.iter().copied())),
        )
        .count(db)
        .await?;
    if by_injection > 0 {
        return Ok(true);
    }
    let by_consultation = consultation::Entity::find()
        .filter(consultation::Column::PatientId.eq(patient_id))
        .filter(
            consultation::Column::ProfessionalId
                .eq(actor.professional_id)
                .or(consultation::Column::StructureId.is_in(structures.iter().copied())),
        )
        .count(db)
        .await?;
    if by_consultation > 0 {
        return Ok(true);
    }
    Ok(
        patient_access::Entity::find_by_id((actor.session_id, patient_id))
            .one(db)
            .await?
            .is_some(),
    )
}
