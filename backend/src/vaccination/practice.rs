//! A professional's own practice: for an infirmier or pharmacien libéral, an interne, a
//! remplaçant or a volunteer who vaccinates without (or outside) a structure. It holds their
//! personal stock of lots, and each dose recorded under it states where it was given.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::vaccination::{OwnPracticeInput, PlaceKind, StructureView, VaccinationPlace},
};

use crate::{
    access::Actor,
    entities::{practice, structure},
    error::{AppError, AppResult},
    state::AppState,
    work::DomainEvent,
};

/// The kind stored for an own practice (structures hold their FINESS category).
pub const OWN_PRACTICE_KIND: &str = "own_practice";

fn invalid(message: &str) -> AppError {
    AppError::with_message(ErrorCode::InvalidInput, message)
}

/// An address as typed: one line, visible characters, 200 at most.
fn clean_address(address: &str) -> AppResult<String> {
    if vigie_shared::text::has_hidden_characters(address) {
        return Err(invalid(
            "Adresse : caractère invisible ou de contrôle refusé (retour à la ligne, caractère de direction…).",
        ));
    }
    let address = address.split_whitespace().collect::<Vec<_>>().join(" ");
    if address.chars().count() > 200 {
        return Err(invalid("Adresse : 200 caractères au plus."));
    }
    Ok(address)
}

/// Declares the professional's own practice (or updates its address): one statement, so two
/// declarations at once make one practice.
pub async fn declare(
    state: &AppState,
    actor: &Actor,
    input: &OwnPracticeInput,
) -> AppResult<StructureView> {
    // A delegate types in the structure of their delegated session only.
    if actor.staff_member_id.is_some() {
        return Err(ErrorCode::Forbidden.into());
    }
    let address = clean_address(&input.address)?;
    let (professional, name) = (actor.professional_id, actor.professional_name.clone());
    let row = crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let now = work.now();
            let row = structure::Entity::insert(structure::ActiveModel {
                id: Set(Uuid::new_v4()),
                // Unique like a FINESS, never shown.
                finess: Set(format!("own:{professional}")),
                name: Set(format!("Exercice hors structure — {name}")),
                kind: Set(OWN_PRACTICE_KIND.into()),
                address: Set(address),
                department: Set(String::new()),
                opening_hours: Set(String::new()),
                created_at: Set(now),
                owner_professional_id: Set(Some(professional)),
            })
            .on_conflict(
                OnConflict::column(structure::Column::OwnerProfessionalId)
                    .update_column(structure::Column::Address)
                    .to_owned(),
            )
            .exec_with_returning(work.db())
            .await?;
            practice::Entity::insert(practice::ActiveModel {
                professional_id: Set(professional),
                structure_id: Set(row.id),
            })
            .on_conflict(
                OnConflict::columns([
                    practice::Column::ProfessionalId,
                    practice::Column::StructureId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(work.db())
            .await?;
            work.emit(DomainEvent::OwnPracticeDeclared { structure: row.id });
            Ok(row)
        })
    })
    .await?;
    Ok(StructureView {
        lots: super::lots::list_of(&state.db, row.id).await?,
        id: row.id,
        finess: String::new(),
        name: row.name,
        own_practice: true,
    })
}

/// The professional's own practice, if declared.
pub async fn own_of(
    db: &impl sea_orm::ConnectionTrait,
    professional: Uuid,
) -> AppResult<Option<structure::Model>> {
    Ok(structure::Entity::find()
        .filter(structure::Column::OwnerProfessionalId.eq(professional))
        .one(db)
        .await?)
}

/// The place a dose recorded under `structure` states: none in a structure (the structure is
/// the place), required under an own practice. Returns the kind's code and the address kept.
pub fn place_for(
    structure: &structure::Model,
    place: Option<&VaccinationPlace>,
) -> AppResult<Option<(String, String)>> {
    let Some(_owner) = structure.owner_professional_id else {
        return match place {
            None => Ok(None),
            Some(_) => Err(invalid(
                "Le lieu de vaccination ne se précise que hors structure : dans une structure, c'est elle.",
            )),
        };
    };
    let place = place.ok_or_else(|| {
        invalid("Hors structure, précisez le lieu de vaccination (domicile du patient, cabinet, autre lieu).")
    })?;
    let address = clean_address(&place.address)?;
    let address = match place.kind {
        // The patient's address is not asked again.
        PlaceKind::PatientHome => String::new(),
        PlaceKind::OwnPractice if address.is_empty() => {
            if structure.address.is_empty() {
                return Err(invalid("Indiquez l'adresse du cabinet ou de l'officine."));
            }
            structure.address.clone()
        }
        PlaceKind::Other if address.is_empty() => {
            return Err(invalid("Autre lieu : indiquez son adresse."));
        }
        _ => address,
    };
    Ok(Some((place.kind.code().to_owned(), address)))
}
