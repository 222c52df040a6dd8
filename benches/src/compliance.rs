//! A deterministic synthetic city of schools and their compliance facts for one school year
//! (2023–2024), for the compliance benchmark and the `city_screening` example.
//!
//! Everything is synthetic: school names, staff, logs and counts come from a seeded generator.
//! Most schools meet most duties; each school has a "diligence" that makes some miss a lesson,
//! shorten a day's sport or counselling-room hours, skip a meeting, or leave a fact unreported
//! (a missing fact, which the checks report as insufficient evidence, never as zero).

use crate::cohort::DISTRICTS;
use crate::Lcg;
use changkaixin_core::compliance::facts::*;
use changkaixin_core::compliance::{Location, Stage};
use changkaixin_core::time::{Date, TimeOfDay};
use changkaixin_core::Dec;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap_or_default()
}

/// The synthetic 2023–2024 calendar: two terms, the public holidays and make-up days of that
/// year, and the four special periods.
pub fn calendar() -> Calendar {
    let dates = |v: &[&str]| v.iter().map(|s| d(s)).collect::<Vec<_>>();
    Calendar {
        school_year: "2023-2024".into(),
        start: d("2023-09-01"),
        end: d("2024-08-31"),
        terms: vec![
            Term {
                id: "2023-autumn".into(),
                start: d("2023-09-01"),
                end: d("2024-01-19"),
                holidays: dates(&["2023-09-29", "2023-10-02", "2023-10-03", "2023-10-04", "2023-10-05", "2023-10-06", "2024-01-01"]),
                make_up_days: dates(&["2023-10-07", "2023-10-08"]),
            },
            Term {
                id: "2024-spring".into(),
                start: d("2024-02-19"),
                end: d("2024-07-05"),
                holidays: dates(&["2024-04-04", "2024-04-05", "2024-05-01", "2024-05-02", "2024-05-03", "2024-06-10"]),
                make_up_days: dates(&["2024-04-07", "2024-04-28", "2024-05-11"]),
            },
        ],
        special_periods: Some(vec![
            SpecialPeriod {
                kind: "school_entry".into(),
                from: d("2023-09-01"),
                to: d("2023-09-30"),
            },
            SpecialPeriod {
                kind: "exam".into(),
                from: d("2024-01-08"),
                to: d("2024-01-19"),
            },
            SpecialPeriod {
                kind: "spring".into(),
                from: d("2024-02-19"),
                to: d("2024-04-30"),
            },
            SpecialPeriod {
                kind: "graduation".into(),
                from: d("2024-06-01"),
                to: d("2024-07-05"),
            },
        ]),
    }
}

/// The school days of a calendar, in order.
pub fn school_days(c: &Calendar) -> Vec<Date> {
    let mut out = Vec::new();
    for t in &c.terms {
        let mut x = t.start;
        while x <= t.end {
            if (!x.is_weekend() && !t.holidays.contains(&x)) || t.make_up_days.contains(&x) {
                out.push(x);
            }
            x = x.plus_days(1);
        }
    }
    out
}

fn log<T>(c: &Calendar, entries: Vec<T>) -> Log<T> {
    Log {
        from: c.start,
        to: c.end,
        entries,
    }
}

fn pick<T: Copy>(g: &mut Lcg, weighted: &[(u32, T)]) -> T {
    let total: u32 = weighted.iter().map(|w| w.0).sum();
    let mut x = g.below(total.max(1));
    for &(w, v) in weighted {
        if x < w {
            return v;
        }
        x -= w;
    }
    weighted[0].1
}

/// `n` synthetic schools of Changzhou's districts with one school year of facts each.
pub fn synthetic_city(n: usize, seed: u64) -> Vec<SchoolFacts> {
    let cal = calendar();
    let days = school_days(&cal);
    let mut g = Lcg::new(seed);
    (0..n).map(|i| school(i, &cal, &days, &mut g)).collect()
}

fn school(i: usize, cal: &Calendar, days: &[Date], g: &mut Lcg) -> SchoolFacts {
    let district = DISTRICTS[g.below(DISTRICTS.len() as u32) as usize];
    let stage = pick(
        g,
        &[
            (48, Stage::Primary),
            (24, Stage::Junior),
            (8, Stage::NineYear),
            (12, Stage::Senior),
            (6, Stage::Vocational),
            (2, Stage::Special),
        ],
    );
    let location = pick(g, &[(50, Location::Urban), (32, Location::TownshipCentral), (18, Location::Rural)]);
    // 0 = exemplary … 99 = careless. Four schools in five keep every duty; in the others the
    // chance of each kind of miss grows with carelessness.
    let careless = g.below(100);
    let miss = |g: &mut Lcg, per_mille: u32| careless >= 80 && g.below(1000) < per_mille * (careless - 79) / 8;
    let unreported = |g: &mut Lcg| g.below(1000) < careless / 40;
    let grades: Vec<u8> = match stage {
        Stage::Primary | Stage::Special => (1..=6).collect(),
        Stage::Junior => (7..=9).collect(),
        Stage::Senior | Stage::Vocational => (10..=12).collect(),
        Stage::NineYear => (1..=9).collect(),
        Stage::TwelveYear => (1..=12).collect(),
    };
    let per_grade = if stage == Stage::Special { 1 } else { 2 + g.below(5) };
    let weeks_psych = g.below(100) < 30; // some schools teach psychology weekly
    let mut classes = Vec::new();
    for &gr in &grades {
        for k in 1..=per_grade {
            let id = format!("{gr}-{k}");
            let mut psych = Vec::new();
            let mut labour = Vec::new();
            let mut sport = Vec::with_capacity(days.len());
            let mut spirit = Vec::new();
            // One lesson in each week (labour) and each fortnight (psychology, weekly in some
            // schools) of every term, on a school day of that block.
            for t in &cal.terms {
                let in_term: Vec<Date> = days.iter().copied().filter(|x| *x >= t.start && *x <= t.end).collect();
                let mut block_start = t.start;
                let mut fortnight_done = false;
                while block_start <= t.end {
                    if t.start.days_until(block_start) % 14 == 0 {
                        fortnight_done = false;
                    }
                    let week: Vec<Date> = in_term.iter().copied().filter(|x| *x >= block_start && *x < block_start.plus_days(7)).collect();
                    if let Some(&x) = week.get(week.len() / 2) {
                        if !miss(g, 25) {
                            labour.push(Lesson { date: x, periods: 1 });
                        }
                        if (weeks_psych || !fortnight_done) && !miss(g, 25) {
                            psych.push(Lesson { date: x, periods: 1 });
                        }
                        fortnight_done = true;
                    }
                    block_start = block_start.plus_days(7);
                }
            }
            for (n, &day) in days.iter().enumerate() {
                if stage == Stage::Vocational && n % 12 == 5 {
                    spirit.push(HoursEntry {
                        date: day,
                        hours: Dec::from_i64(2),
                    });
                }
                let minutes = if miss(g, 2) { 30 + g.below(30) } else { 60 + 10 * g.below(3) };
                sport.push(SportDay { date: day, minutes });
            }
            let meetings = vec![
                DatedEvent {
                    date: d("2023-10-19"),
                    topic: Some("认识情绪 (synthetic)".into()),
                },
                DatedEvent {
                    date: d("2024-04-18"),
                    topic: Some("压力与应对 (synthetic)".into()),
                },
            ]
            .into_iter()
            .filter(|_| !miss(g, 20))
            .collect();
            let families = 38 + g.below(10);
            let contact = |g: &mut Lcg| if miss(g, 60) { families - 1 - g.below(3) } else { families };
            classes.push(ClassFacts {
                id,
                grade: gr,
                name: None,
                psychology_lessons: (!unreported(g)).then(|| log(cal, psych)),
                labour_lessons: (!unreported(g)).then(|| log(cal, labour)),
                themed_meetings: (!unreported(g)).then(|| log(cal, meetings)),
                sport: (!unreported(g)).then(|| log(cal, sport)),
                labour_spirit: (stage == Stage::Vocational).then(|| log(cal, spirit)),
                home_contact: Some(vec![
                    HomeContact {
                        term: "2023-autumn".into(),
                        families,
                        contacted: contact(g),
                    },
                    HomeContact {
                        term: "2024-spring".into(),
                        families,
                        contacted: contact(g),
                    },
                ]),
            });
        }
    }
    let n_classes = classes.len() as u32;
    // Staff: about 2.5 per class, a principal, one or two psychology teachers.
    let mut staff = Vec::new();
    let full_time = match location {
        Location::Rural => g.below(100) < 30,
        _ => !miss(g, 150),
    };
    let psych_ids = ["t001", "t002"];
    for k in 0..(n_classes * 5 / 2).max(6) {
        let id = format!("t{:03}", k + 1);
        let psychology_teacher = match k {
            0 if full_time => Some(PsychRole::FullTime),
            0 | 1 => Some(PsychRole::PartTime),
            _ => None,
        };
        let prof = psychology_teacher.map(|_| {
            Dec::from_i64(if miss(g, 100) {
                40 + i64::from(g.below(40))
            } else {
                80 + i64::from(g.below(40))
            })
        });
        let mh = if careless >= 90 && g.below(100) < 3 {
            None
        } else {
            Some(Dec::from_i64(if miss(g, 30) { i64::from(g.below(10)) } else { 10 + i64::from(g.below(8)) }))
        };
        staff.push(StaffMember {
            id,
            name: None,
            roles: if k == n_classes * 2 { vec!["principal".into()] } else { Vec::new() },
            psychology_teacher,
            professional_training_hours: prof,
            mental_health_training_hours: mh,
        });
    }
    // Counselling room: lunch and after-school sessions on every school day.
    let mut duty = Vec::with_capacity(days.len() * 2);
    for &day in days {
        let short = miss(g, 4);
        let teacher = if miss(g, 2) {
            StaffRef::Staff("t010".into())
        } else {
            StaffRef::Staff(psych_ids[(day.days() % 2) as usize].into())
        };
        duty.push(DutySession {
            date: day,
            open: TimeOfDay::from_minutes(12 * 60),
            close: TimeOfDay::from_minutes(13 * 60),
            teacher: Some(teacher.clone()),
        });
        duty.push(DutySession {
            date: day,
            open: TimeOfDay::from_minutes(16 * 60 + 30),
            close: TimeOfDay::from_minutes(if short { 17 * 60 + 10 } else { 17 * 60 + 30 }),
            teacher: Some(teacher),
        });
    }
    let enrolment = n_classes * 42;
    let screened = enrolment - g.below(enrolment / 50 + 1);
    let zones: Vec<String> = ["individual", "group", "reception", "relaxation"]
        .iter()
        .filter(|_| !miss(g, 40))
        .map(|s| (*s).to_owned())
        .collect();
    let rules: Vec<String> = ["duty", "appointment", "counselling", "archive", "transfer"]
        .iter()
        .filter(|_| !miss(g, 30))
        .map(|s| (*s).to_owned())
        .collect();
    let special = 1 + g.below(enrolment / 100 + 1);
    let attest = |req: &str, g: &mut Lcg| Attestation {
        requirement: req.into(),
        met: !miss(g, 40),
        by: Attester {
            name: "校长 (synthetic)".into(),
            role: "principal".into(),
        },
        on: d("2024-06-28"),
        note: None,
    };
    let attestations = [
        "cz.attest.curriculum_plan",
        "cz.attest.sport_skills",
        "cz.attest.archive_management",
        "cz.attest.crisis_case_reports",
        "cz.attest.three_level_warning",
        "cz.attest.informed_voluntary_private",
        "cz.attest.tutor_system",
        "cz.attest.daily_communication",
    ]
    .iter()
    .filter_map(|r| if unreported(g) { None } else { Some(attest(r, g)) })
    .collect();
    let initial: Vec<GradeCertificates> = stage
        .initial_grades()
        .iter()
        .map(|&gr| {
            let families = per_grade * 42;
            GradeCertificates {
                grade: gr,
                families,
                certified: families * (35 + g.below(45)) / 100,
            }
        })
        .collect();
    SchoolFacts {
        format: COMPLIANCE_FACTS_FORMAT.into(),
        school: SchoolRef {
            id: format!("cz-{i:04}"),
            name: Some(format!("合成学校{i:04} (synthetic)")),
            district: Some(district.into()),
        },
        profile: Profile {
            stage: Some(stage),
            location: Some(location),
            enrolment: Some(enrolment),
            classes_per_grade: None,
        },
        calendar: Some(cal.clone()),
        classes: Some(classes),
        staff: Some(staff),
        room_duty: (!unreported(g)).then(|| log(cal, duty)),
        room: Some(RoomFacts {
            zones: Some(zones),
            rules: Some(rules),
            inspections: (!unreported(g)).then(|| {
                vec![Inspection {
                    date: d("2024-05-15"),
                    result: if miss(g, 40) { InspectionResult::Failed } else { InspectionResult::Passed },
                    by: Some("区教育局 (synthetic)".into()),
                }]
            }),
        }),
        screening_runs: Some(vec![ScreeningRun {
            id: "2023-entry".into(),
            kind: "entry".into(),
            window_from: d("2023-09-11"),
            window_to: d("2023-10-20"),
            responsible: Some(if miss(g, 30) { StaffRef::Nobody } else { StaffRef::Staff("t001".into()) }),
            status: Some(RunStatus::Completed),
            completed_on: Some(if miss(g, 40) { d("2023-10-27") } else { d("2023-10-18") }),
            students_expected: Some(enrolment),
            students_screened: Some(screened),
        }]),
        e_archives: (!unreported(g)).then(|| ArchiveCounts {
            screened_students: screened,
            with_e_archive: if miss(g, 80) {
                screened - 1 - g.below(5).min(screened.saturating_sub(1))
            } else {
                screened
            },
        }),
        special_care: Some(SpecialCareCounts {
            students: special,
            with_file: special,
            with_plan: if miss(g, 60) { special - 1 } else { special },
            with_helper: special,
        }),
        crisis_screenings: Some(log(
            cal,
            ["2023-09-20", "2024-01-10", "2024-03-12", "2024-06-12"]
                .iter()
                .filter(|_| !miss(g, 40))
                .map(|s| DatedEvent { date: d(s), topic: None })
                .collect(),
        )),
        counselling_records: Some(RecordCounts {
            sessions: 40 + g.below(200),
            complete_and_archived: 0,
        })
        .map(|mut r| {
            r.complete_and_archived = if miss(g, 60) { r.sessions - 1 - g.below(5) } else { r.sessions };
            r
        }),
        referrals: Some(ReferralCounts { made: g.below(3), recorded: 0 }).map(|mut r| {
            r.recorded = if r.made > 0 && miss(g, 60) { r.made - 1 } else { r.made };
            r
        }),
        parent_lectures: Some(log(
            cal,
            ["2023-11-18", "2024-05-18"]
                .iter()
                .filter(|_| !miss(g, 50))
                .map(|s| DatedEvent { date: d(s), topic: None })
                .collect(),
        )),
        parent_certificates: Some(initial),
        societies: Some(vec![Society {
            name: "心理社 (synthetic)".into(),
            positive_psychology: !miss(g, 80),
            founded: Some(d("2021-10-01")),
            dissolved: None,
        }]),
        governance: Some(Governance {
            leadership_group: Some(LeadershipGroup {
                exists: !miss(g, 10),
                led_by_principal: Some(!miss(g, 20)),
            }),
        }),
        meetings: Some(log(
            cal,
            ["2023-09-15"]
                .iter()
                .filter(|_| !miss(g, 40))
                .map(|s| DatedEvent { date: d(s), topic: None })
                .collect(),
        )),
        activities: Some(log(
            cal,
            [("2023-10-10", "world_mental_health_day"), ("2024-05-25", "culture_festival")]
                .iter()
                .filter(|_| !miss(g, 50))
                .map(|(s, k)| Activity {
                    date: d(s),
                    kind: (*k).into(),
                    topic: None,
                })
                .collect(),
        )),
        attestations,
    }
}

/// Entries across all logs of a city's facts (for reporting the benchmark's size).
pub fn log_entries(city: &[SchoolFacts]) -> usize {
    city.iter()
        .map(|s| {
            s.classes
                .iter()
                .flatten()
                .map(|c| {
                    c.psychology_lessons.as_ref().map_or(0, |l| l.entries.len())
                        + c.labour_lessons.as_ref().map_or(0, |l| l.entries.len())
                        + c.themed_meetings.as_ref().map_or(0, |l| l.entries.len())
                        + c.sport.as_ref().map_or(0, |l| l.entries.len())
                        + c.labour_spirit.as_ref().map_or(0, |l| l.entries.len())
                })
                .sum::<usize>()
                + s.room_duty.as_ref().map_or(0, |l| l.entries.len())
        })
        .sum()
}

/// The compliance part of the main job (`city_screening`): check a synthetic city of `schools`
/// schools against the built-in Changzhou pack as of the school year's last day, and print per
/// requirement the compliance rate by district, then one school's findings in full.
pub fn print_city_compliance(schools: usize) -> Result<(), changkaixin_core::Error> {
    use changkaixin_core::compliance::{check_summary_validated, check_validated, rollup_summaries, CompiledPack, Status};
    use std::time::Instant;
    let t = Instant::now();
    let pack = CompiledPack::changzhou_2022_2024()?;
    let city = synthetic_city(schools, 2024);
    for f in &city {
        f.validate()?;
    }
    let gen_ms = t.elapsed().as_secs_f64() * 1e3;
    let as_of = Date::parse("2024-08-31")?;
    let t = Instant::now();
    let summaries: Vec<_> = city.iter().map(|f| check_summary_validated(pack, f, as_of)).collect();
    let check_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let roll = rollup_summaries(pack, &summaries)?;
    let roll_ms = t.elapsed().as_secs_f64() * 1e3;
    let classes: usize = city.iter().map(|s| s.classes.as_ref().map_or(0, Vec::len)).sum();
    println!(
        "\nCompliance with {} {} — synthetic city of {schools} schools ({classes} classes, {} log entries), school year 2023-2024, as of {as_of}",
        pack.id(),
        pack.version(),
        log_entries(&city)
    );
    println!("{gen_ms:>11.2} ms  generate and validate the facts");
    println!(
        "{check_ms:>11.2} ms  check {} requirements for every school ({} findings)",
        pack.pack().requirements.len(),
        schools * pack.pack().requirements.len()
    );
    println!("{roll_ms:>11.2} ms  roll up by district and for the city");
    println!("\nCompliance rate by district: % of the schools where the requirement applies that comply");
    println!("(schools with insufficient evidence count as not compliant and are listed apart from failures; A = attestation only)");
    print!("{:<44}{:>9}", "requirement", "clause");
    for d in &roll.districts {
        print!("{:>8}", d.name);
    }
    println!("{:>8}{:>6}{:>7}{:>6}", "city", "fail", "insuff", "n/a");
    for (k, r) in roll.city.requirements.iter().enumerate() {
        let att = if r.method == changkaixin_core::compliance::Method::Attestation {
            " A"
        } else {
            ""
        };
        print!("{:<44}{:>9}", format!("{}{att}", r.requirement), r.clause);
        for d in &roll.districts {
            let x = &d.requirements[k];
            print!("{:>8}", x.compliance_rate.map_or("—".to_owned(), |v| format!("{v}")));
        }
        println!(
            "{:>8}{:>6}{:>7}{:>6}",
            r.compliance_rate.map_or("—".to_owned(), |v| format!("{v}")),
            r.fail,
            r.insufficient_evidence,
            r.not_applicable
        );
    }
    // One school in full: the first with both a failure and a gap in its evidence.
    let pick = summaries
        .iter()
        .position(|s| s.counts.fail > 0 && s.counts.insufficient_evidence > 0)
        .unwrap_or(0);
    let Some(facts) = city.get(pick) else { return Ok(()) };
    let report = check_validated(pack, facts, as_of);
    println!(
        "\nOne school's findings in full: {} {} ({})",
        report.school.id,
        report.school.name.as_deref().unwrap_or(""),
        report.school.district.as_deref().unwrap_or("")
    );
    println!("{}\n{}", report.summary.zh.as_deref().unwrap_or(""), report.summary.en.as_deref().unwrap_or(""));
    for f in &report.findings {
        let status = match f.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotApplicable => "n/a",
            Status::InsufficientEvidence => "insufficient evidence",
        };
        let measured = f.measured.as_ref().map_or("—".to_owned(), |q| q.value.to_string());
        let short = f.shortfall.map(|s| format!(", shortfall {s}")).unwrap_or_default();
        println!(
            "\n[{status}] {} ({} {}, {:?}) measured {measured}, required {} {}{short}",
            f.requirement,
            f.clause,
            f.sources.first().map_or("", |s| s.id.split(':').next().unwrap_or("")),
            f.severity,
            f.required.op.as_str(),
            f.required.value,
        );
        println!("    {}", f.explanation.zh.as_deref().unwrap_or(""));
        println!("    {}", f.explanation.en.as_deref().unwrap_or(""));
    }
    Ok(())
}
