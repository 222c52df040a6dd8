//! The consent and disclosure ledger: every share of a student's archive data with someone outside
//! the school records the recipient, the purpose, the legal basis, what was sent and when (PIPL 23;
//! 未成年人保护法 103; FERPA 99.32 as the international analogue), and a share beyond the consent
//! on file is refused with the reason.
//!
//! Rules of [`check_share`] (each refusal is `privacy.share_refused`, its message the reason):
//!
//! * basis `consent` (PIPL 13 ①, 14, 15, 29, 31): the request names a consent entry of the student
//!   file that was given before the share and not withdrawn by then, whose purpose version is the
//!   request's (a new purpose needs a new consent) and whose scope covers every data category sent;
//!   a student under 14 needs the guardian's consent. The age is reckoned conservatively from the
//!   birth year-month: under 14 until the month after the 14th birthday month begins.
//! * basis `legal_duty` (13 ③): the request states the duty relied on (`rationale`, e.g. mandatory
//!   reporting under 未成年人保护法 11).
//! * basis `vital_interest` (13 ④): the request states the threat (`rationale`); the disclosure
//!   carries `post_hoc_notice_due` (PIPL 18 ②: inform after the emergency).
//! * A share with the police, a procuratorate or a court carries the 未成年人保护法 103
//!   confidentiality flag.

use crate::archive::records::{ConsentGiver, DataCategory, LegalBasis, StudentFile};
use crate::error::{excerpt, Error, ErrorCode, Result};
use crate::time::{Date, Timestamp};
use serde::{Deserialize, Serialize};

/// Format of a serialised [`Ledger`].
pub const LEDGER_FORMAT: &str = "changkaixin.disclosure-ledger/1";

/// Who receives a share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A hospital or mental-health institution.
    Hospital,
    /// The police.
    Police,
    /// A procuratorate.
    Procuratorate,
    /// A court.
    Court,
    /// Civil affairs (民政).
    CivilAffairs,
    /// The women's federation (妇联).
    WomensFederation,
    /// A growth-guidance centre.
    GuidanceCentre,
    /// The school a student moves to.
    ReceivingSchool,
    /// The parent or guardian.
    Guardian,
    /// Another agency.
    OtherAgency,
}

/// A request to share data about one student.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Pseudonymous student id.
    pub student: String,
    /// Kind of recipient.
    pub recipient: RecipientKind,
    /// Id of the recipient organisation.
    pub recipient_id: String,
    /// Purpose of the share.
    pub purpose: String,
    /// Legal basis relied on.
    pub legal_basis: LegalBasis,
    /// The consent entry relied on (basis `consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<String>,
    /// The purpose version of that consent (basis `consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose_version: Option<String>,
    /// The duty relied on, or the threat (bases `legal_duty`, `vital_interest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The data categories sent (at least one).
    pub categories: Vec<DataCategory>,
    /// Ids of the records sent (minimum disclosure: name them).
    pub records: Vec<String>,
    /// When.
    pub at: Timestamp,
}

/// One recorded disclosure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// Sequence id in the ledger (`dis-1`, `dis-2`, …; empty before it is recorded).
    pub id: String,
    /// The request as granted.
    pub request: ShareRequest,
    /// 未成年人保护法 103: the recipient must not disclose the minor's identity.
    pub confidentiality_flag: bool,
    /// PIPL 18 ②: the student and guardian must be informed after the emergency.
    pub post_hoc_notice_due: bool,
}

fn refused(path: &str, reason: impl Into<String>) -> Error {
    Error::new(ErrorCode::PrivacyShareRefused, path, reason)
}

fn under_14(file: &StudentFile, at: Timestamp, utc_offset_secs: i32) -> bool {
    let (y, m, _) = Date::of_timestamp(at, utc_offset_secs).ymd();
    let birth = file.birth_year_month;
    let fourteen = (i32::from(birth.year()) + 14, u32::from(birth.month()));
    (y, m) <= fourteen
}

/// Check a share against the student file; the disclosure to record, or the refusal with its reason.
///
/// ```
/// use changkaixin_core::archive::{validate, Record, DataCategory, LegalBasis};
/// use changkaixin_core::privacy::{check_share, RecipientKind, ShareRequest};
/// use changkaixin_core::time::Timestamp;
/// let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/archive/student_file.json")).unwrap();
/// let cases: serde_json::Value = serde_json::from_str(&json).unwrap();
/// let Record::StudentFile(file) = validate(&cases["cases"][0]["record"].to_string()).unwrap() else { panic!() };
/// let req = ShareRequest { student: "stu-0001".into(), recipient: RecipientKind::Hospital, recipient_id: "hosp-01".into(),
///     purpose: "synthetic referral".into(), legal_basis: LegalBasis::Consent, consent_id: Some("con-2".into()),
///     purpose_version: Some("2024-1".into()), rationale: None, categories: vec![DataCategory::Referral],
///     records: vec!["ref-0001".into()], at: Timestamp::parse("2024-03-25T08:00:00Z").unwrap() };
/// let e = check_share(&file, &req, 8 * 3600).unwrap_err();   // con-2 was withdrawn on 2024-03-20
/// assert_eq!(e.code(), "privacy.share_refused");
/// assert!(e.message().contains("withdrawn"));
/// ```
pub fn check_share(file: &StudentFile, req: &ShareRequest, utc_offset_secs: i32) -> Result<Disclosure> {
    if req.student != file.student {
        return Err(Error::new(
            ErrorCode::PrivacyInvalid,
            "/student",
            "the request is about another student than the file",
        ));
    }
    if req.categories.is_empty() {
        return Err(Error::new(
            ErrorCode::PrivacyInvalid,
            "/categories",
            "a share names the data categories it sends",
        ));
    }
    if req.purpose.trim().is_empty() || req.recipient_id.trim().is_empty() {
        return Err(Error::new(ErrorCode::PrivacyInvalid, "/purpose", "a share names its recipient and purpose"));
    }
    let rationale = req.rationale.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match req.legal_basis {
        LegalBasis::Consent => {
            let id = req
                .consent_id
                .as_deref()
                .ok_or_else(|| refused("/consent_id", "a share on the basis of consent names the consent entry"))?;
            let entry = file
                .consents
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| refused("/consent_id", format!("the student file has no consent {}", excerpt(id))))?;
            if entry.given_at > req.at {
                return Err(refused(
                    "/at",
                    format!("consent {} was given at {}, after the share", excerpt(id), entry.given_at),
                ));
            }
            if let Some(w) = entry.withdrawn_at {
                if w <= req.at {
                    return Err(refused("/consent_id", format!("consent {} was withdrawn at {w} (PIPL 15)", excerpt(id))));
                }
            }
            if req.purpose_version.as_deref() != Some(entry.purpose_version.as_str()) {
                return Err(refused(
                    "/purpose_version",
                    format!(
                        "consent {} covers purpose version {}; another purpose needs a new consent (PIPL 14)",
                        excerpt(id),
                        excerpt(&entry.purpose_version)
                    ),
                ));
            }
            let missing: Vec<String> = req
                .categories
                .iter()
                .filter(|c| !entry.scope.contains(c))
                .map(|c| format!("{c:?}").to_lowercase())
                .collect();
            if !missing.is_empty() {
                return Err(refused(
                    "/categories",
                    format!("consent {} does not cover: {}", excerpt(id), missing.join(", ")),
                ));
            }
            if entry.given_by == ConsentGiver::Student && under_14(file, req.at, utc_offset_secs) {
                return Err(refused("/consent_id", "the student is under 14: the guardian's consent is required (PIPL 31)"));
            }
        }
        LegalBasis::LegalDuty => {
            if rationale.is_none() {
                return Err(refused("/rationale", "a share on the basis of a legal duty states the duty relied on"));
            }
        }
        LegalBasis::VitalInterest => {
            if rationale.is_none() {
                return Err(refused(
                    "/rationale",
                    "an emergency share states the threat to life or health that justifies it",
                ));
            }
        }
    }
    Ok(Disclosure {
        id: String::new(),
        request: req.clone(),
        confidentiality_flag: matches!(req.recipient, RecipientKind::Police | RecipientKind::Procuratorate | RecipientKind::Court),
        post_hoc_notice_due: req.legal_basis == LegalBasis::VitalInterest,
    })
}

/// An append-only ledger of disclosures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// [`LEDGER_FORMAT`].
    pub format: String,
    /// Disclosures, in the order recorded.
    pub entries: Vec<Disclosure>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger {
            format: LEDGER_FORMAT.to_owned(),
            entries: Vec::new(),
        }
    }

    /// Check a share ([`check_share`]) and, if granted, append it; the recorded disclosure.
    /// Entries are in time order: a share dated before the last entry is refused as invalid.
    pub fn share(&mut self, file: &StudentFile, req: &ShareRequest, utc_offset_secs: i32) -> Result<&Disclosure> {
        if let Some(last) = self.entries.last() {
            if req.at < last.request.at {
                return Err(Error::new(
                    ErrorCode::PrivacyInvalid,
                    "/at",
                    format!("the ledger is append-only in time order; the last entry is at {}", last.request.at),
                ));
            }
        }
        let mut d = check_share(file, req, utc_offset_secs)?;
        d.id = format!("dis-{}", self.entries.len() + 1);
        self.entries.push(d);
        self.entries
            .last()
            .ok_or_else(|| Error::new(ErrorCode::PrivacyInvalid, "", "ledger append failed"))
    }

    /// The disclosures about one student.
    pub fn for_student<'a>(&'a self, student: &'a str) -> impl Iterator<Item = &'a Disclosure> + 'a {
        self.entries.iter().filter(move |d| d.request.student == student)
    }

    /// Canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse a serialised ledger (`privacy.invalid` with a path on a bad shape or format).
    pub fn from_json(json: &str) -> Result<Ledger> {
        let l: Ledger = crate::compliance::parse_json(json, ErrorCode::PrivacyInvalid)?;
        if l.format != LEDGER_FORMAT {
            return Err(Error::new(
                ErrorCode::PrivacyInvalid,
                "/format",
                format!("expected {LEDGER_FORMAT:?}, found {}", excerpt(&l.format)),
            ));
        }
        Ok(l)
    }
}
