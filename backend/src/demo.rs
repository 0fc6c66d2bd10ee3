//! Demonstration data: a vaccination centre with its lots and structure account, two
//! professionals, one staff member. Loading it twice changes nothing.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use vigie_shared::{Finess, Rpps};

use crate::{
    accounts::password,
    entities::{
        delegation, practice, professional, staff_member, structure, structure_account,
        vaccine_lot, vaccine_product,
    },
};

pub const CENTRE_FINESS: &str = "770012342";
/// Dr Jean Martin, médecin — the professional the README's walkthrough signs in as.
pub const JEAN_MARTIN_RPPS: &str = "10003456786";
/// The centre's structure account (identifier: its FINESS). Demonstration only.
pub const CENTRE_ACCOUNT_PASSWORD: &str = "Melun vaccine chaque matin 2026";
pub const CENTRE_ACCOUNT_MOBILE: &str = "+33 6 70 00 12 34";
pub const CLAIRE_BERNARD_RPPS: &str = "10101234564";

pub struct DemoProfessional {
    pub rpps: &'static str,
    pub civility: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub profession: &'static str,
    pub email: &'static str,
    pub mobile: &'static str,
}

pub const PROFESSIONALS: [DemoProfessional; 2] = [
    DemoProfessional {
        rpps: JEAN_MARTIN_RPPS,
        civility: "Dr",
        first_name: "Jean",
        last_name: "Martin",
        profession: "Médecin",
        email: "jean.martin@demo.vigie.example",
        mobile: "+33612345678",
    },
    DemoProfessional {
        rpps: CLAIRE_BERNARD_RPPS,
        civility: "",
        first_name: "Claire",
        last_name: "Bernard",
        profession: "Pharmacien",
        email: "claire.bernard@demo.vigie.example",
        mobile: "+33698765432",
    },
];

/// CPE card number of the demo staff member, Marie Dupont.
pub const DEMO_STAFF_CPE: &str = "3001234567";

/// Monday to Saturday, 08:00 – 20:00.
fn demo_hours() -> String {
    use vigie_shared::api::delegation::{DayHours, OpeningHours};
    let day = DayHours {
        opens: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
        closes: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default(),
    };
    let mut hours = OpeningHours::default();
    for d in hours.days.iter_mut().take(6) {
        *d = Some(day);
    }
    serde_json::to_string(&hours).unwrap_or_default()
}

/// Doses each demonstration lot received (a centre's delivery of a few hundred vials).
pub const DEMO_LOT_DOSES: i32 = 3000;

pub async fn load(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let finess = Finess::parse(CENTRE_FINESS).expect("demo FINESS is valid");
    structure::Entity::insert(structure::ActiveModel {
        id: Set(Uuid::new_v4()),
        finess: Set(finess.as_str().into()),
        name: Set("Centre de vaccination de Melun".into()),
        kind: Set("centre_vaccination".into()),
        address: Set("2 rue du Château, 77000 Melun".into()),
        department: Set("77".into()),
        opening_hours: Set(demo_hours()),
        created_at: Set(now),
        owner_professional_id: Set(None),
    })
    .on_conflict_do_nothing_on([structure::Column::Finess])
    .exec(db)
    .await?;
    let centre = structure::Entity::find()
        .filter(structure::Column::Finess.eq(finess.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("demo centre".into()))?;

    for p in &PROFESSIONALS {
        let rpps = Rpps::parse(p.rpps).expect("demo RPPS is valid");
        professional::Entity::insert(professional::ActiveModel {
            id: Set(Uuid::new_v4()),
            national_id: Set(rpps.national_id().as_str().into()),
            rpps: Set(rpps.as_str().into()),
            civility: Set(p.civility.into()),
            first_name: Set(p.first_name.into()),
            last_name: Set(p.last_name.into()),
            profession: Set(p.profession.into()),
            email: Set(Some(p.email.into())),
            mobile: Set(Some(p.mobile.into())),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([professional::Column::Rpps])
        .exec(db)
        .await?;
        let row = professional::Entity::find()
            .filter(professional::Column::Rpps.eq(rpps.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("demo professional".into()))?;
        practice::Entity::insert(practice::ActiveModel {
            professional_id: Set(row.id),
            structure_id: Set(centre.id),
        })
        .on_conflict_do_nothing_on([
            practice::Column::ProfessionalId,
            practice::Column::StructureId,
        ])
        .exec(db)
        .await?;
    }

    staff_member::Entity::insert(staff_member::ActiveModel {
        id: Set(Uuid::new_v4()),
        structure_id: Set(centre.id),
        cpe_number: Set(DEMO_STAFF_CPE.into()),
        first_name: Set("Marie".into()),
        last_name: Set("Dupont".into()),
        role: Set("Secrétaire médicale".into()),
        created_at: Set(now),
        withdrawn_at: Set(None),
        enrolment_token_hash: Set(None),
        enrolment_expires_at: Set(None),
    })
    .on_conflict_do_nothing_on([
        staff_member::Column::StructureId,
        staff_member::Column::CpeNumber,
    ])
    .exec(db)
    .await?;

    // Dr Jean Martin lets Marie Dupont type under his responsibility (she still needs her
    // passkey: the centre's account hands out the link).
    let marie = staff_member::Entity::find()
        .filter(staff_member::Column::StructureId.eq(centre.id))
        .filter(staff_member::Column::CpeNumber.eq(DEMO_STAFF_CPE))
        .one(db)
        .await?;
    let jean = professional::Entity::find()
        .filter(professional::Column::Rpps.eq(PROFESSIONALS[0].rpps))
        .one(db)
        .await?;
    if let (Some(marie), Some(jean)) = (marie, jean) {
        delegation::Entity::insert(delegation::ActiveModel {
            professional_id: Set(jean.id),
            staff_member_id: Set(marie.id),
            granted_at: Set(now),
            withdrawn_at: Set(None),
        })
        .on_conflict_do_nothing_on([
            delegation::Column::ProfessionalId,
            delegation::Column::StaffMemberId,
        ])
        .exec(db)
        .await?;
    }

    // The centre's lots of the day.
    for (code, number) in [("comirnaty", "GH7425"), ("spikevax", "3004217")] {
        let Some(product) = vaccine_product::Entity::find()
            .filter(vaccine_product::Column::Code.eq(code))
            .one(db)
            .await?
        else {
            continue;
        };
        vaccine_lot::Entity::insert(vaccine_lot::ActiveModel {
            id: Set(Uuid::new_v4()),
            structure_id: Set(centre.id),
            product_id: Set(product.id),
            number: Set(number.into()),
            expires_on: Set((now + chrono::Duration::days(365)).date_naive()),
            active: Set(true),
            created_at: Set(now),
            doses_received: Set(Some(DEMO_LOT_DOSES)),
            doses_used: Set(0),
            doses_wasted: Set(0),
        })
        .on_conflict_do_nothing_on([
            vaccine_lot::Column::StructureId,
            vaccine_lot::Column::ProductId,
            vaccine_lot::Column::Number,
        ])
        .exec(db)
        .await?;
    }

    structure_account::Entity::insert(structure_account::ActiveModel {
        id: Set(Uuid::new_v4()),
        structure_id: Set(centre.id),
        identifier: Set(finess.as_str().into()),
        display_name: Set("Responsable du centre".into()),
        email: Set("centre.melun@demo.vigie.invalid".into()),
        mobile: Set(CENTRE_ACCOUNT_MOBILE.into()),
        password_hash: Set(password::hash(CENTRE_ACCOUNT_PASSWORD)
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?),
        password_changed_at: Set(now),
        must_change_password: Set(false),
        failed_attempts: Set(0),
        locked_until: Set(None),
        factor_failures: Set(0),
        factor_window_start: Set(None),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([structure_account::Column::Identifier])
    .exec(db)
    .await?;

    Ok(())
}
