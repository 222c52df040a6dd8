//! Lint and compile: turn a resolved [`InstrumentSpec`] into a [`Plan`], or a
//! typed error naming the JSON path of the first problem.

use crate::decimal::{Dec, Ratio, Rounding};
use crate::error::{excerpt, excerpt_debug, excerpt_raw, Error, ErrorCode, Result};
use crate::instrument::spec::*;
use crate::limits::{self, spec_number, TreeExcess};
use crate::scoring::plan::*;
use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};

fn err(code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(code, path, msg)
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Lint the settings block itself (ids, defaults, options).
pub(crate) fn lint_settings(spec: &InstrumentSpec) -> Result<()> {
    let mut ids = BTreeSet::new();
    for (si, s) in spec.settings.iter().enumerate() {
        let p = format!("/settings/{si}");
        if !valid_id(&s.id) {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/id"),
                format!("setting id {} must match [a-z0-9_]+", excerpt(&s.id)),
            ));
        }
        if !ids.insert(s.id.as_str()) {
            return Err(err(
                ErrorCode::SpecDuplicateId,
                format!("{p}/id"),
                format!("setting {} is defined twice", excerpt(&s.id)),
            ));
        }
        let mut opts = BTreeSet::new();
        for (oi, o) in s.options.iter().enumerate() {
            if !opts.insert(o.id.as_str()) {
                return Err(err(
                    ErrorCode::SpecDuplicateId,
                    format!("{p}/options/{oi}/id"),
                    format!("option {} is defined twice", excerpt(&o.id)),
                ));
            }
        }
        if s.options.is_empty() || !opts.contains(s.default.as_str()) {
            return Err(err(
                ErrorCode::SpecUnknownSetting,
                format!("{p}/default"),
                format!("default {} is not one of the options of setting {}", excerpt(&s.default), excerpt(&s.id)),
            ));
        }
        if s.default_rationale.trim().is_empty() {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/default_rationale"),
                "a setting must say why its default was chosen",
            ));
        }
    }
    Ok(())
}

struct Ctx<'a> {
    spec: &'a InstrumentSpec,
    item_by_number: HashMap<u32, usize>,
    scale_by_id: HashMap<&'a str, usize>,
    flag_by_id: HashMap<&'a str, usize>,
    /// Integer-valued flag per compiled scale (for composites and norms).
    scale_integer: Vec<bool>,
    scale_bands: Vec<u32>,
    /// Lookup-table entries built so far (band tables and norm tables), against
    /// [`limits::MAX_TABLE_ENTRIES`].
    table_entries: Cell<usize>,
}

impl Ctx<'_> {
    /// Reserve `n` lookup-table entries before allocating them.
    fn reserve_entries(&self, n: usize, path: &str) -> Result<()> {
        let total = self.table_entries.get().saturating_add(n);
        if total > limits::MAX_TABLE_ENTRIES {
            return Err(err(
                ErrorCode::SpecLimitExceeded,
                path,
                format!(
                    "the spec's band and norm lookup tables would need {total} entries; at most {} are allowed (see changkaixin_core::limits)",
                    limits::MAX_TABLE_ENTRIES
                ),
            ));
        }
        self.table_entries.set(total);
        Ok(())
    }
}

fn over(path: impl Into<String>, what: &str, limit: usize, found: usize) -> Error {
    err(
        ErrorCode::SpecLimitExceeded,
        path,
        format!("at most {limit} {what} (see changkaixin_core::limits); found {found}"),
    )
}

/// Check the resource limits of [`crate::limits`] that can be checked on the spec as written:
/// counts, condition depth and size (iteratively, before anything recurses over a condition) and
/// string lengths. Runs before any other lint, clone or compilation of the spec.
pub(crate) fn check_limits(spec: &InstrumentSpec) -> Result<()> {
    let counts: [(&str, &str, usize, usize); 7] = [
        ("/items", "items", limits::MAX_ITEMS, spec.items.len()),
        ("/option_sets", "option sets", limits::MAX_OPTION_SETS, spec.option_sets.len()),
        ("/scales", "scales", limits::MAX_SCALES, spec.scales.len()),
        ("/flags", "flags (batch flag bitsets are 64-bit words)", limits::MAX_FLAGS, spec.flags.len()),
        ("/validity", "validity rules", limits::MAX_VALIDITY_RULES, spec.validity.len()),
        ("/norms", "norm tables", limits::MAX_NORM_TABLES, spec.norms.len()),
        ("/norm_group_keys", "norm group keys", limits::MAX_NORM_GROUP_KEYS, spec.norm_group_keys.len()),
    ];
    for (path, what, limit, found) in counts {
        if found > limit {
            return Err(over(path, what, limit, found));
        }
    }
    for (ni, t) in spec.norms.iter().enumerate() {
        if t.rows.len() > limits::MAX_NORM_ROWS {
            return Err(over(format!("/norms/{ni}/rows"), "rows per norm table", limits::MAX_NORM_ROWS, t.rows.len()));
        }
    }
    for (si, s) in spec.scales.iter().enumerate() {
        if s.bands.len() > limits::MAX_BANDS_PER_SCALE {
            return Err(over(
                format!("/scales/{si}/bands"),
                "bands per scale",
                limits::MAX_BANDS_PER_SCALE,
                s.bands.len(),
            ));
        }
    }
    if spec.settings.len() > limits::MAX_SETTINGS {
        return Err(over("/settings", "settings", limits::MAX_SETTINGS, spec.settings.len()));
    }
    let options: usize = spec.settings.iter().map(|s| s.options.len()).sum();
    if options > limits::MAX_SETTING_OPTIONS {
        return Err(over("/settings", "setting options in total", limits::MAX_SETTING_OPTIONS, options));
    }
    let mut conditions: Vec<(String, &Condition)> = Vec::new();
    conditions.extend(spec.flags.iter().enumerate().map(|(i, f)| (format!("/flags/{i}/when"), &f.when)));
    conditions.extend(spec.screen_positive.iter().map(|s| ("/screen_positive/when".to_owned(), &s.when)));
    conditions.extend(spec.validity.iter().enumerate().map(|(i, v)| (format!("/validity/{i}/when"), &v.when)));
    for (si, s) in spec.settings.iter().enumerate() {
        for (oi, o) in s.options.iter().enumerate() {
            let p = format!("/settings/{si}/options/{oi}/patch");
            if let Some(items) = &o.patch.items {
                if items.len() > limits::MAX_ITEMS {
                    return Err(over(format!("{p}/items"), "items", limits::MAX_ITEMS, items.len()));
                }
            }
            for (id, sp) in &o.patch.scales {
                if let Some(b) = sp.bands.as_ref().filter(|b| b.len() > limits::MAX_BANDS_PER_SCALE) {
                    let path = format!("{p}/scales/{}/bands", excerpt_raw(id));
                    return Err(over(path, "bands per scale", limits::MAX_BANDS_PER_SCALE, b.len()));
                }
            }
            for (id, fp) in &o.patch.flags {
                if let Some(w) = &fp.when {
                    conditions.push((format!("{p}/flags/{}/when", excerpt_raw(id)), w));
                }
            }
            if let Some(sp) = &o.patch.screen_positive {
                conditions.push((format!("{p}/screen_positive/when"), &sp.when));
            }
        }
    }
    let mut budget = limits::MAX_CONDITION_NODES;
    for (path, c) in conditions {
        match limits::measure_tree(c, Condition::kids, limits::MAX_CONDITION_DEPTH, &mut budget) {
            Ok(()) => {}
            Err(TreeExcess::Depth) => {
                return Err(err(
                    ErrorCode::SpecLimitExceeded,
                    path,
                    format!(
                        "conditions may nest at most {} deep (see changkaixin_core::limits)",
                        limits::MAX_CONDITION_DEPTH
                    ),
                ))
            }
            Err(TreeExcess::Nodes) => {
                return Err(err(
                    ErrorCode::SpecLimitExceeded,
                    path,
                    format!(
                        "a spec may have at most {} condition nodes in total (see changkaixin_core::limits)",
                        limits::MAX_CONDITION_NODES
                    ),
                ))
            }
        }
    }
    if let Some((path, len)) = limits::long_string(spec) {
        return Err(err(
            ErrorCode::SpecLimitExceeded,
            path,
            format!("strings may be at most {} bytes long; found {len}", limits::MAX_TEXT_BYTES),
        ));
    }
    Ok(())
}

/// Lint and compile a resolved spec.
pub(crate) fn compile(spec: &InstrumentSpec) -> Result<Plan> {
    check_limits(spec)?;
    if !valid_id(&spec.id) {
        return Err(err(
            ErrorCode::SpecInvalidValue,
            "/id",
            format!("instrument id {} must match [a-z0-9_]{{1,64}}", excerpt(&spec.id)),
        ));
    }
    if spec.version.trim().is_empty() || spec.version.len() > 64 {
        return Err(err(ErrorCode::SpecInvalidValue, "/version", "version must be 1 to 64 characters"));
    }
    if spec.name.is_empty() {
        return Err(err(ErrorCode::SpecInvalidValue, "/name", "the instrument needs a name in zh or en"));
    }
    if spec.citation.trim().is_empty() {
        return Err(err(ErrorCode::SpecInvalidValue, "/citation", "every instrument must cite its source"));
    }
    let mut items = compile_items(spec)?;
    let mut ctx = Ctx {
        spec,
        item_by_number: items.iter().enumerate().map(|(i, it)| (it.number, i)).collect(),
        scale_by_id: HashMap::new(),
        flag_by_id: HashMap::new(),
        scale_integer: Vec::new(),
        scale_bands: Vec::new(),
        table_entries: Cell::new(0),
    };
    for (i, it) in spec.items.iter().enumerate() {
        if let Some(c) = &it.asked_if {
            let p = format!("/items/{i}/asked_if");
            check_asked_if(&ctx, c, i, &p)?;
            items[i].asked_if = Some(compile_cond(&ctx, c, &p)?);
        }
    }
    if spec.scales.is_empty() {
        return Err(err(ErrorCode::SpecBadScale, "/scales", "an instrument needs at least one scale"));
    }
    let mut scales = Vec::with_capacity(spec.scales.len());
    for (si, s) in spec.scales.iter().enumerate() {
        let sp = compile_scale(&mut ctx, &items, &scales, si, s)?;
        ctx.scale_by_id.insert(s.id.as_str(), si);
        ctx.scale_integer.push(sp.den == 1);
        ctx.scale_bands.push(sp.bands.len() as u32);
        scales.push(sp);
    }
    compile_norms(&ctx, &mut scales)?;
    for (si, s) in scales.iter().enumerate() {
        if s.bands_on == BandBasis::Score && s.norms.is_none() {
            return Err(err(
                ErrorCode::SpecNormsIncomplete,
                format!("/scales/{si}/bands_on"),
                format!("scale {} puts its bands on standard scores but has no norm table", excerpt(&s.id)),
            ));
        }
    }
    let mut flags = Vec::with_capacity(spec.flags.len());
    let mut flag_ids = BTreeSet::new();
    for (fi, f) in spec.flags.iter().enumerate() {
        let p = format!("/flags/{fi}");
        if !valid_id(&f.id) {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/id"),
                format!("flag id {} must match [a-z0-9_]+", excerpt(&f.id)),
            ));
        }
        if !flag_ids.insert(f.id.as_str()) {
            return Err(err(ErrorCode::SpecDuplicateId, format!("{p}/id"), format!("flag {:?} is defined twice", f.id)));
        }
        if f.source.trim().is_empty() {
            return Err(err(ErrorCode::SpecInvalidValue, format!("{p}/source"), "every flag must cite its source"));
        }
        let cond = compile_cond(&ctx, &f.when, &format!("{p}/when"))?;
        ctx.flag_by_id.insert(f.id.as_str(), fi);
        flags.push(FlagPlan {
            id: f.id.clone(),
            label: f.label.clone(),
            level: f.level,
            reason: f.reason.clone(),
            source: f.source.clone(),
            cond,
        });
    }
    let screen_positive = match &spec.screen_positive {
        None => None,
        Some(s) => {
            if s.source.trim().is_empty() {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    "/screen_positive/source",
                    "the screen-positive rule must cite its source",
                ));
            }
            Some(ScreenPlan {
                reason: s.reason.clone(),
                source: s.source.clone(),
                cond: compile_cond(&ctx, &s.when, "/screen_positive/when")?,
            })
        }
    };
    let mut validity = Vec::with_capacity(spec.validity.len());
    let mut vids = BTreeSet::new();
    for (vi, v) in spec.validity.iter().enumerate() {
        let p = format!("/validity/{vi}");
        if !valid_id(&v.id) {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/id"),
                format!("validity rule id {} must match [a-z0-9_]+", excerpt(&v.id)),
            ));
        }
        if !vids.insert(v.id.as_str()) {
            return Err(err(
                ErrorCode::SpecDuplicateId,
                format!("{p}/id"),
                format!("validity rule {:?} is defined twice", v.id),
            ));
        }
        validity.push(ValidityPlan {
            id: v.id.clone(),
            verdict: v.verdict,
            reason: v.reason.clone(),
            source: v.source.clone(),
            cond: compile_cond(&ctx, &v.when, &format!("{p}/when"))?,
        });
    }
    let mut plan = Plan {
        id: spec.id.clone(),
        items,
        scales,
        flags,
        screen_positive,
        validity,
        norm_group_keys: spec.norm_group_keys.clone(),
        fast_depth: None,
    };
    plan.fast_depth = crate::scoring::fast::analyse(&plan);
    Ok(plan)
}

/// Skip-logic conditions may only test earlier items (so applicability is decided in item order).
fn check_asked_if(ctx: &Ctx, c: &Condition, item_pos: usize, p: &str) -> Result<()> {
    let number = item_pos as u32 + 1;
    let earlier = |n: u32, path: String| -> Result<()> {
        if n >= number {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                path,
                format!("asked_if of item {number} refers to item {n}; skip logic may only test earlier items"),
            )
            .with_item(number));
        }
        Ok(())
    };
    match c {
        Condition::Any(v) | Condition::All(v) => {
            let key = if matches!(c, Condition::Any(_)) { "any" } else { "all" };
            for (i, c) in v.iter().enumerate() {
                check_asked_if(ctx, c, item_pos, &format!("{p}/{key}/{i}"))?;
            }
            Ok(())
        }
        Condition::Not(c) => check_asked_if(ctx, c, item_pos, &format!("{p}/not")),
        Condition::CountOf(t) => {
            for (i, c) in t.of.iter().enumerate() {
                check_asked_if(ctx, c, item_pos, &format!("{p}/count_of/of/{i}"))?;
            }
            Ok(())
        }
        Condition::Item(t) => earlier(t.item, format!("{p}/item/item")),
        Condition::ItemState(t) => earlier(t.item, format!("{p}/item_state/item")),
        Condition::Answered(t) => {
            for idx in expand_items(ctx, &t.items, &format!("{p}/answered/items"))? {
                earlier(idx as u32 + 1, format!("{p}/answered/items"))?;
            }
            Ok(())
        }
        _ => Err(err(
            ErrorCode::SpecInvalidValue,
            p.to_owned(),
            format!("asked_if of item {number} may only use item, item_state, answered, any, all, not and count_of"),
        )
        .with_item(number)),
    }
}

fn compile_items(spec: &InstrumentSpec) -> Result<Vec<ItemPlan>> {
    if spec.items.is_empty() {
        return Err(err(ErrorCode::SpecUnknownItem, "/items", "an instrument needs at least one item"));
    }
    for (name, opts) in &spec.option_sets {
        check_options(opts, &format!("/option_sets/{}", excerpt_raw(name)))?;
    }
    let mut ids = BTreeSet::new();
    let mut out = Vec::with_capacity(spec.items.len());
    for (i, it) in spec.items.iter().enumerate() {
        let p = format!("/items/{i}");
        if it.number as usize != i + 1 {
            let code = if spec.items[..i].iter().any(|o| o.number == it.number) {
                ErrorCode::SpecDuplicateId
            } else {
                ErrorCode::SpecInvalidValue
            };
            return Err(err(
                code,
                format!("{p}/number"),
                format!("items must be numbered 1..n in printed order; position {} has number {}", i + 1, it.number),
            )
            .with_item(it.number));
        }
        if !valid_id(&it.id) {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/id"),
                format!("item id {} must match [a-z0-9_]+", excerpt(&it.id)),
            )
            .with_item(it.number));
        }
        if !ids.insert(it.id.as_str()) {
            return Err(err(ErrorCode::SpecDuplicateId, format!("{p}/id"), format!("item id {:?} is used twice", it.id)).with_item(it.number));
        }
        if it.text.is_some() && !spec.license.item_texts {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/text"),
                "the licence block says this spec carries no item texts (license.item_texts = false), but this item has one",
            )
            .with_item(it.number));
        }
        let opts: &[OptionSpec] = match &it.options {
            OptionsRef::Inline(v) => {
                check_options(v, &format!("{p}/options"))?;
                v
            }
            OptionsRef::Named(n) => spec.option_sets.get(n).map(Vec::as_slice).ok_or_else(|| {
                err(
                    ErrorCode::SpecBadOptions,
                    format!("{p}/options"),
                    format!("option set {} is not defined in option_sets", excerpt(n)),
                )
                .with_item(it.number)
            })?,
        };
        let mut lut = Box::new([NOT_AN_OPTION; CODE_SLOTS]);
        if let Some(map) = &it.values {
            if it.reverse {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    format!("{p}/values"),
                    "give either `reverse` or an explicit `values` map, not both",
                )
                .with_item(it.number));
            }
            for (k, v) in map {
                let code: i64 = k.parse().map_err(|_| {
                    err(
                        ErrorCode::SpecReverseOutsideOptions,
                        format!("{p}/values/{}", excerpt_raw(k)),
                        format!("{} is not an integer code", excerpt(k)),
                    )
                    .with_item(it.number)
                })?;
                if !opts.iter().any(|o| o.code == code) {
                    return Err(err(
                        ErrorCode::SpecReverseOutsideOptions,
                        format!("{p}/values/{}", excerpt_raw(k)),
                        format!("code {code} is not among the item's options ({})", codes_list(opts)),
                    )
                    .with_item(it.number));
                }
                check_value(*v, &format!("{p}/values/{}", excerpt_raw(k)))?;
                lut[code as usize] = *v as i16;
            }
            for o in opts {
                if lut[o.code as usize] == NOT_AN_OPTION {
                    return Err(err(
                        ErrorCode::SpecReverseOutsideOptions,
                        format!("{p}/values"),
                        format!("the values map has no value for option code {}", o.code),
                    )
                    .with_item(it.number));
                }
            }
        } else {
            let vmin = opts.iter().map(|o| o.value).min().unwrap_or(0);
            let vmax = opts.iter().map(|o| o.value).max().unwrap_or(0);
            for o in opts {
                let v = if it.reverse { vmin + vmax - o.value } else { o.value };
                lut[o.code as usize] = v as i16;
            }
        }
        let options = opts
            .iter()
            .map(|o| OptionPlan {
                code: o.code,
                id: o.effective_id(),
                value: i32::from(lut[o.code as usize]),
                label: o.label.clone(),
            })
            .collect();
        let (vmin, vmax) = opts.iter().fold((i32::MAX, i32::MIN), |(a, b), o| {
            let v = i32::from(lut[o.code as usize]);
            (a.min(v), b.max(v))
        });
        out.push(ItemPlan {
            number: it.number,
            id: it.id.clone(),
            scored: it.scored,
            lut,
            options,
            vmin,
            vmax,
            asked_if: None,
        });
    }
    Ok(out)
}

fn codes_list(opts: &[OptionSpec]) -> String {
    opts.iter().map(|o| o.code.to_string()).collect::<Vec<_>>().join(", ")
}

fn check_value(v: i32, path: &str) -> Result<()> {
    if !(-1000..=1000).contains(&v) {
        return Err(err(
            ErrorCode::SpecInvalidValue,
            path,
            format!("item values must lie in -1000..=1000, found {v}"),
        ));
    }
    Ok(())
}

fn check_options(opts: &[OptionSpec], path: &str) -> Result<()> {
    if opts.is_empty() {
        return Err(err(ErrorCode::SpecBadOptions, path, "an option set needs at least one option"));
    }
    let mut seen = BTreeSet::new();
    for (oi, o) in opts.iter().enumerate() {
        if !(0..CODE_SLOTS as i64).contains(&o.code) {
            return Err(err(
                ErrorCode::SpecBadOptions,
                format!("{path}/{oi}/code"),
                format!("option codes must lie in 0..=127, found {}", o.code),
            ));
        }
        if !seen.insert(o.code) {
            return Err(err(
                ErrorCode::SpecDuplicateId,
                format!("{path}/{oi}/code"),
                format!("option code {} appears twice", o.code),
            ));
        }
        check_value(o.value, &format!("{path}/{oi}/value"))?;
    }
    let mut ids = BTreeSet::new();
    for (oi, o) in opts.iter().enumerate() {
        let id = o.effective_id();
        if !valid_option_id(&id) {
            return Err(err(
                ErrorCode::SpecBadOptions,
                format!("{path}/{oi}/id"),
                format!("option id {id:?} must be 1-64 characters of [A-Za-z0-9_.-] and not \"missing\" or \"refused\""),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(err(
                ErrorCode::SpecDuplicateId,
                format!("{path}/{oi}/id"),
                format!("option id {id:?} appears twice among the options (give each option its own `id`)"),
            ));
        }
    }
    Ok(())
}

/// Option ids: non-empty, short, unambiguous in a Response (not `missing`/`refused`, not an integer).
fn valid_option_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && s != "missing"
        && s != "refused"
        && s.parse::<i64>().is_err()
}

fn expand_items(ctx: &Ctx, refs: &[ItemRef], path: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    // Linear duplicate check: a list of many ranges must not cost items² per condition.
    let mut listed = vec![false; ctx.spec.items.len()];
    for (ri, r) in refs.iter().enumerate() {
        let (a, b) = match r {
            ItemRef::One(n) => (*n, *n),
            ItemRef::Range(s) => {
                let parsed = s
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
                match parsed {
                    Some((a, b)) if a <= b => (a, b),
                    _ => {
                        return Err(err(
                            ErrorCode::SpecInvalidValue,
                            format!("{path}/{ri}"),
                            format!("item range {} must look like \"1-90\" with start <= end", excerpt(s)),
                        ));
                    }
                }
            }
        };
        for n in a..=b {
            let idx = *ctx.item_by_number.get(&n).ok_or_else(|| {
                err(
                    ErrorCode::SpecUnknownItem,
                    format!("{path}/{ri}"),
                    format!("item {n} is not defined (the instrument has {} items)", ctx.spec.items.len()),
                )
                .with_item(n)
            })?;
            if std::mem::replace(&mut listed[idx], true) {
                return Err(err(ErrorCode::SpecDuplicateId, format!("{path}/{ri}"), format!("item {n} is listed twice")).with_item(n));
            }
            out.push(idx);
        }
    }
    Ok(out)
}

fn count_term(item: &ItemPlan, idx: usize, t: &ValueTest, path: &str) -> Result<CountTerm> {
    let value = spec_number(t.value, ErrorCode::SpecInvalidValue, path)?;
    let hits = item.options.iter().filter(|o| t.op.holds(Ratio::int(i64::from(o.value)).cmp(&value))).count();
    Ok(CountTerm {
        idx,
        op: t.op,
        value,
        always: hits == item.options.len(),
        possible: hits > 0,
    })
}

fn item_range(items: &[ItemPlan], idx: usize) -> (i64, i64) {
    let vals = items[idx].lut.iter().filter(|v| **v != NOT_AN_OPTION).map(|v| *v as i64);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

fn compile_scale(ctx: &mut Ctx, items: &[ItemPlan], done: &[ScalePlan], si: usize, s: &ScaleSpec) -> Result<ScalePlan> {
    let p = format!("/scales/{si}");
    if !valid_id(&s.id) {
        return Err(err(
            ErrorCode::SpecInvalidValue,
            format!("{p}/id"),
            format!("scale id {} must match [a-z0-9_]+", excerpt(&s.id)),
        ));
    }
    if ctx.scale_by_id.contains_key(s.id.as_str()) {
        return Err(err(ErrorCode::SpecDuplicateId, format!("{p}/id"), format!("scale {:?} is defined twice", s.id)));
    }
    let check_scored = |idxs: &[usize], path: &str| -> Result<()> {
        for &i in idxs {
            if !items[i].scored {
                return Err(err(
                    ErrorCode::SpecBadScale,
                    path.to_owned(),
                    format!("item {} is unscored and cannot be part of a scale", items[i].number),
                )
                .with_item(items[i].number));
            }
            if items[i].asked_if.is_some() {
                return Err(err(
                    ErrorCode::SpecBadScale,
                    path.to_owned(),
                    format!("item {} is asked only sometimes (asked_if) and cannot be part of a scale", items[i].number),
                )
                .with_item(items[i].number));
            }
        }
        if idxs.is_empty() {
            return Err(err(ErrorCode::SpecBadScale, path.to_owned(), "a scale needs at least one item"));
        }
        Ok(())
    };
    let (agg, n, den, sum_min, sum_max) = match &s.aggregate {
        Aggregate::Sum { items: refs } => {
            let idx = expand_items(ctx, refs, &format!("{p}/aggregate/items"))?;
            check_scored(&idx, &format!("{p}/aggregate/items"))?;
            let (lo, hi) = sum_ranges(idx.iter().map(|&i| item_range(items, i)), &p)?;
            let n = idx.len() as u32;
            (AggPlan::Sum(idx), n, 1, lo, hi)
        }
        Aggregate::Mean { items: refs } => {
            let idx = expand_items(ctx, refs, &format!("{p}/aggregate/items"))?;
            check_scored(&idx, &format!("{p}/aggregate/items"))?;
            let (lo, hi) = sum_ranges(idx.iter().map(|&i| item_range(items, i)), &p)?;
            let n = idx.len() as u32;
            (AggPlan::Mean(idx), n, i64::from(n), lo, hi)
        }
        Aggregate::Count { items: refs, condition } => {
            let idx = expand_items(ctx, refs, &format!("{p}/aggregate/items"))?;
            check_scored(&idx, &format!("{p}/aggregate/items"))?;
            let n = idx.len() as u32;
            let vp = format!("{p}/aggregate/where/value");
            let terms = idx.iter().map(|&i| count_term(&items[i], i, condition, &vp)).collect::<Result<Vec<_>>>()?;
            (AggPlan::Count(terms), n, 1, 0, i64::from(n))
        }
        Aggregate::CountGroups { groups } => {
            let mut terms: Vec<CountTerm> = Vec::new();
            if groups.is_empty() {
                return Err(err(
                    ErrorCode::SpecBadScale,
                    format!("{p}/aggregate/groups"),
                    "count_groups needs at least one group",
                ));
            }
            for (gi, g) in groups.iter().enumerate() {
                let gp = format!("{p}/aggregate/groups/{gi}/items");
                let idx = expand_items(ctx, &g.items, &gp)?;
                check_scored(&idx, &gp)?;
                for i in idx {
                    if terms.iter().any(|t| t.idx == i) {
                        return Err(err(ErrorCode::SpecDuplicateId, gp, format!("item {} is in two groups", items[i].number)).with_item(items[i].number));
                    }
                    terms.push(count_term(&items[i], i, &g.condition, &format!("{p}/aggregate/groups/{gi}/where/value"))?);
                }
            }
            let n = terms.len() as u32;
            (AggPlan::Count(terms), n, 1, 0, i64::from(n))
        }
        Aggregate::SumOfScales { scales } => {
            let mut idx = Vec::new();
            let (mut lo, mut hi) = (0, 0);
            for (ci, c) in scales.iter().enumerate() {
                let cp = format!("{p}/aggregate/scales/{ci}");
                let Some(&j) = ctx.scale_by_id.get(c.as_str()) else {
                    return Err(err(
                        ErrorCode::SpecUnknownScale,
                        cp,
                        format!("scale {} is not defined before {}", excerpt(c), excerpt(&s.id)),
                    ));
                };
                if !ctx.scale_integer[j] || done[j].norms.is_some() {
                    return Err(err(
                        ErrorCode::SpecBadScale,
                        cp,
                        format!("component {} is not integer-valued; only integer scales can be summed exactly", excerpt(c)),
                    ));
                }
                if idx.contains(&j) {
                    return Err(err(ErrorCode::SpecDuplicateId, cp, format!("component {} is listed twice", excerpt(c))));
                }
                idx.push(j);
                (lo, hi) = sum_ranges([(lo, hi), (done[j].sum_min, done[j].sum_max)], &p)?;
            }
            if idx.is_empty() {
                return Err(err(
                    ErrorCode::SpecBadScale,
                    format!("{p}/aggregate/scales"),
                    "a composite scale needs at least one component",
                ));
            }
            let n = idx.len() as u32;
            (AggPlan::SumOfScales(idx), n, 1, lo, hi)
        }
    };
    // Bound the value range before anything proportional to it (band and norm tables) is built.
    check_range(sum_min, sum_max, &p)?;
    let missing = match (&s.missing, &agg) {
        (MissingPolicy::RequireAll, _) => MissingPlan::RequireAll,
        (
            MissingPolicy::Prorate {
                min_answered,
                rounding,
                decimals,
            },
            AggPlan::Sum(_),
        ) => {
            if *min_answered == 0 || *min_answered > n || *decimals > 6 {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    format!("{p}/missing"),
                    format!("prorate needs 1 <= min_answered <= {n} and decimals <= 6"),
                ));
            }
            MissingPlan::Prorate {
                min_answered: *min_answered,
                rounding: *rounding,
                decimals: *decimals,
            }
        }
        (MissingPolicy::SumAnswered { max_missing }, AggPlan::Sum(_) | AggPlan::Count(_)) => {
            if *max_missing >= n {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    format!("{p}/missing"),
                    format!("max_missing must be below the item count {n}"),
                ));
            }
            MissingPlan::SumAnswered { max_missing: *max_missing }
        }
        (MissingPolicy::MeanOfAnswered { min_answered }, AggPlan::Mean(_)) => {
            if *min_answered == 0 || *min_answered > n {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    format!("{p}/missing"),
                    format!("mean_of_answered needs 1 <= min_answered <= {n}"),
                ));
            }
            MissingPlan::MeanOfAnswered { min_answered: *min_answered }
        }
        (m, _) => {
            return Err(err(
                ErrorCode::SpecBadScale,
                format!("{p}/missing"),
                format!("missing rule {m:?} does not fit this aggregation (prorate: sums; sum_answered: sums and counts; mean_of_answered: means)"),
            ));
        }
    };
    // A prorated value with decimals > 0 is not an integer.
    let integer_valued = den == 1 && !matches!(missing, MissingPlan::Prorate { decimals, .. } if decimals > 0);
    let decimals = match s.report_decimals {
        Some(d) if d > 6 => {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{p}/report_decimals"),
                "report_decimals must be at most 6",
            ))
        }
        Some(d) => d,
        None if integer_valued => match missing {
            MissingPlan::Prorate { decimals, .. } => decimals,
            _ => 0,
        },
        None => match missing {
            MissingPlan::Prorate { decimals, .. } => decimals,
            _ => 2,
        },
    };
    let rounding = s.report_rounding.unwrap_or(Rounding::HalfUp);
    let value_min = Ratio::new(sum_min, den);
    let value_max = Ratio::new(sum_max, den);
    let bands = compile_bands(ctx.spec, s, &p, integer_valued && s.bands_on == BandBasis::Raw, value_min, value_max)?;
    let band_by_sum = if s.bands_on == BandBasis::Raw && !bands.is_empty() {
        // `check_range` bounds the length; the budget bounds all tables together.
        let len = usize::try_from(sum_max - sum_min + 1).unwrap_or(usize::MAX);
        ctx.reserve_entries(len, &format!("{p}/bands"))?;
        band_table(&bands, (sum_min..=sum_max).map(|v| Ratio::new(v, den)))
    } else {
        Vec::new()
    };
    Ok(ScalePlan {
        id: s.id.clone(),
        agg,
        missing,
        n,
        den: if integer_valued { 1 } else { den },
        sum_min,
        sum_max,
        decimals,
        rounding,
        bands_on: s.bands_on,
        bands,
        band_by_sum,
        norms: None,
    })
}

pub(crate) fn band_pos(bands: &[BandPlan], v: Ratio) -> u8 {
    bands.iter().position(|b| b.contains(v)).map_or(NO_BAND, |p| p as u8)
}

/// Band positions of ascending values, in time linear in the values (the last band found is
/// tried first, so a table over a wide range does not cost range × bands).
fn band_table(bands: &[BandPlan], values: impl Iterator<Item = Ratio>) -> Vec<u8> {
    let mut last = NO_BAND;
    values
        .map(|v| {
            if last != NO_BAND && bands[last as usize].contains(v) {
                return last;
            }
            last = band_pos(bands, v);
            last
        })
        .collect()
}

/// The range of a sum of parts with the given ranges, with checked arithmetic.
fn sum_ranges(parts: impl IntoIterator<Item = (i64, i64)>, p: &str) -> Result<(i64, i64)> {
    let (mut lo, mut hi) = (0i64, 0i64);
    for (l, h) in parts {
        match (lo.checked_add(l), hi.checked_add(h)) {
            (Some(a), Some(b)) => (lo, hi) = (a, b),
            _ => return Err(range_error(p, "overflows 64-bit integers")),
        }
    }
    Ok((lo, hi))
}

fn range_error(p: &str, what: &str) -> Error {
    err(
        ErrorCode::SpecLimitExceeded,
        format!("{p}/aggregate"),
        format!(
            "the scale's value range {what}: a scale may span at most {} values, within ±{} (see changkaixin_core::limits)",
            limits::MAX_SCALE_RANGE,
            limits::MAX_SCALE_MAGNITUDE
        ),
    )
}

/// A scale's integer numerator must stay within [`limits::MAX_SCALE_RANGE`] and
/// [`limits::MAX_SCALE_MAGNITUDE`].
fn check_range(lo: i64, hi: i64, p: &str) -> Result<()> {
    let m = limits::MAX_SCALE_MAGNITUDE;
    if lo < -m || hi > m {
        return Err(range_error(p, &format!("{lo}..{hi} is too far from zero")));
    }
    if hi - lo > limits::MAX_SCALE_RANGE {
        return Err(range_error(p, &format!("{lo}..{hi} is too wide")));
    }
    Ok(())
}

fn bound_str(v: Ratio) -> String {
    if v.is_integer() {
        v.num().to_string()
    } else {
        // Bounds come from decimals, so their denominators are powers of ten.
        let mut d = 0;
        while !v.exact_at(d) && d < 18 {
            d += 1;
        }
        v.round_to_dec(d, Rounding::HalfUp).to_string()
    }
}

/// The smallest integer a band admits, and the largest.
fn int_span(lo: Option<(Ratio, bool)>, hi: Option<(Ratio, bool)>) -> (Option<i64>, Option<i64>) {
    let first = lo.map(|(b, inc)| {
        let c = b.round_mantissa(0, Rounding::Ceil);
        if !inc && Ratio::int(c) == b {
            c.saturating_add(1)
        } else {
            c
        }
    });
    let last = hi.map(|(b, inc)| {
        let f = b.round_mantissa(0, Rounding::Floor);
        if !inc && Ratio::int(f) == b {
            f.saturating_sub(1)
        } else {
            f
        }
    });
    (first, last)
}

fn compile_bands(spec: &InstrumentSpec, s: &ScaleSpec, p: &str, discrete: bool, vmin: Ratio, vmax: Ratio) -> Result<Vec<BandPlan>> {
    let mut bands = Vec::with_capacity(s.bands.len());
    let mut ids = BTreeSet::new();
    for (bi, b) in s.bands.iter().enumerate() {
        let bp = format!("{p}/bands/{bi}");
        if !valid_id(&b.id) {
            return Err(err(
                ErrorCode::SpecInvalidValue,
                format!("{bp}/id"),
                format!("band id {} must match [a-z0-9_]+", excerpt(&b.id)),
            ));
        }
        if !ids.insert(b.id.as_str()) {
            return Err(err(ErrorCode::SpecDuplicateId, format!("{bp}/id"), format!("band {:?} is defined twice", b.id)));
        }
        if b.label.is_empty() {
            return Err(err(ErrorCode::SpecInvalidValue, format!("{bp}/label"), "a band needs a label"));
        }
        let lo = match b.min {
            Some(d) => Some((spec_number(d, ErrorCode::SpecInvalidValue, &format!("{bp}/min"))?, b.min_inclusive)),
            None => None,
        };
        let hi = match b.max {
            Some(d) => Some((spec_number(d, ErrorCode::SpecInvalidValue, &format!("{bp}/max"))?, b.max_inclusive)),
            None => None,
        };
        if let (Some((l, li)), Some((h, hi_inc))) = (lo, hi) {
            if l > h || (l == h && !(li && hi_inc)) {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    bp,
                    format!("band {:?} is empty (min {} max {})", b.id, bound_str(l), bound_str(h)),
                ));
            }
        }
        let basis = if s.bands_on == BandBasis::Raw { "raw" } else { "score" };
        let evidence = match (lo, hi) {
            (Some((l, li)), Some((h, hc))) => format!(
                "{} {} {basis} {} {}",
                bound_str(l),
                if li { "<=" } else { "<" },
                if hc { "<=" } else { "<" },
                bound_str(h)
            ),
            (Some((l, li)), None) => format!("{basis} {} {}", if li { ">=" } else { ">" }, bound_str(l)),
            (None, Some((h, hc))) => format!("{basis} {} {}", if hc { "<=" } else { "<" }, bound_str(h)),
            (None, None) => format!("any {basis}"),
        };
        bands.push(BandPlan {
            id: b.id.clone(),
            label: b.label.clone(),
            index: b.index,
            severity: b.severity,
            lo,
            hi,
            evidence,
            rule: format!("{}/{}/bands/{}", spec.id, s.id, b.id),
            source: b.source.clone(),
        });
    }
    if bands.is_empty() {
        return Ok(bands);
    }
    if bands.len() > limits::MAX_BANDS_PER_SCALE {
        return Err(over(format!("{p}/bands"), "bands per scale", limits::MAX_BANDS_PER_SCALE, bands.len()));
    }
    let mut idx: Vec<u32> = bands.iter().map(|b| b.index).collect();
    idx.sort_unstable();
    if idx.iter().enumerate().any(|(i, v)| *v as usize != i) {
        return Err(err(
            ErrorCode::SpecBandIndex,
            format!("{p}/bands"),
            format!("band indices must be 0..{} without repeats, found {idx:?}", bands.len() - 1),
        ));
    }
    // Sort by lower bound for overlap/gap checks (unbounded below first).
    let mut order: Vec<usize> = (0..bands.len()).collect();
    order.sort_by(|&a, &b| match (bands[a].lo, bands[b].lo) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some((x, xi)), Some((y, yi))) => x.cmp(&y).then(yi.cmp(&xi)),
    });
    for w in order.windows(2) {
        let (a, b) = (&bands[w[0]], &bands[w[1]]);
        let path = format!("{p}/bands/{}", w[1]);
        let (Some((ah, ahi)), Some((bl, bli))) = (a.hi, b.lo) else {
            return Err(err(
                ErrorCode::SpecBandOverlap,
                path,
                format!("bands {:?} and {:?} overlap (one is unbounded)", a.id, b.id),
            ));
        };
        if ah > bl || (ah == bl && ahi && bli) {
            return Err(err(
                ErrorCode::SpecBandOverlap,
                path,
                format!("bands {:?} ({}) and {:?} ({}) overlap", a.id, a.evidence, b.id, b.evidence),
            ));
        }
        let contiguous = if discrete {
            let (_, a_last) = int_span(a.lo, a.hi);
            let (b_first, _) = int_span(b.lo, b.hi);
            matches!((a_last, b_first), (Some(x), Some(y)) if y == x + 1)
        } else {
            ah == bl && (ahi != bli)
        };
        if !contiguous {
            return Err(err(
                ErrorCode::SpecBandGap,
                path,
                format!("gap between band {:?} ({}) and band {:?} ({})", a.id, a.evidence, b.id, b.evidence),
            ));
        }
    }
    if s.band_coverage == BandCoverage::Full && s.bands_on == BandBasis::Raw {
        let first = &bands[order[0]];
        let last = &bands[order[order.len() - 1]];
        let covers_min = first.contains(vmin) || first.lo.is_none();
        let covers_max = last.contains(vmax) || last.hi.is_none();
        if !covers_min || !covers_max {
            return Err(err(
                ErrorCode::SpecBandGap,
                format!("{p}/bands"),
                format!(
                    "bands of scale {:?} do not cover its range {}..{} (set band_coverage to \"partial\" if the source leaves ends undefined)",
                    s.id,
                    bound_str(vmin),
                    bound_str(vmax)
                ),
            ));
        }
    }
    Ok(bands)
}

fn compile_norms(ctx: &Ctx, scales: &mut [ScalePlan]) -> Result<()> {
    let keys: BTreeSet<&str> = ctx.spec.norm_group_keys.iter().map(String::as_str).collect();
    if keys.len() != ctx.spec.norm_group_keys.len() {
        return Err(err(ErrorCode::SpecDuplicateId, "/norm_group_keys", "norm group keys repeat"));
    }
    for (ni, t) in ctx.spec.norms.iter().enumerate() {
        let p = format!("/norms/{ni}");
        let Some(&si) = ctx.scale_by_id.get(t.scale.as_str()) else {
            return Err(err(
                ErrorCode::SpecUnknownScale,
                format!("{p}/scale"),
                format!("norm table for unknown scale {}", excerpt(&t.scale)),
            ));
        };
        let sc = &mut scales[si];
        if sc.den != 1 {
            return Err(err(
                ErrorCode::SpecNormsIncomplete,
                format!("{p}/scale"),
                format!("norms need an integer-valued scale; {} is not", excerpt(&t.scale)),
            ));
        }
        let gk: BTreeSet<&str> = t.group.keys().map(String::as_str).collect();
        if gk != keys {
            return Err(err(
                ErrorCode::SpecNormsIncomplete,
                format!("{p}/group"),
                format!(
                    "group keys {} must equal norm_group_keys {}",
                    excerpt_debug(&gk),
                    excerpt_debug(&ctx.spec.norm_group_keys)
                ),
            ));
        }
        // The scale's range is bounded by `check_range`; the budget bounds all tables together.
        let len = usize::try_from(sc.sum_max - sc.sum_min + 1).unwrap_or(usize::MAX);
        ctx.reserve_entries(len, &p)?;
        let mut scores: Vec<Option<(Dec, Ratio)>> = vec![None; len];
        for (ri, r) in t.rows.iter().enumerate() {
            let rp = format!("{p}/rows/{ri}");
            let exact = spec_number(r.score, ErrorCode::SpecInvalidValue, &format!("{rp}/score"))?;
            if r.raw_min > r.raw_max || r.raw_min < sc.sum_min || r.raw_max > sc.sum_max {
                return Err(err(
                    ErrorCode::SpecNormsIncomplete,
                    rp,
                    format!(
                        "row {}..{} is empty or outside the raw range {}..{}",
                        r.raw_min, r.raw_max, sc.sum_min, sc.sum_max
                    ),
                ));
            }
            for raw in r.raw_min..=r.raw_max {
                let slot = &mut scores[(raw - sc.sum_min) as usize];
                if slot.is_some() {
                    return Err(err(ErrorCode::SpecNormsIncomplete, rp, format!("raw score {raw} appears in two rows")));
                }
                *slot = Some((r.score, exact));
            }
        }
        let mut table = Vec::with_capacity(len);
        let mut exact_scores = Vec::with_capacity(if sc.bands_on == BandBasis::Score { len } else { 0 });
        for (i, s) in scores.into_iter().enumerate() {
            let Some((s, exact)) = s else {
                return Err(err(
                    ErrorCode::SpecNormsIncomplete,
                    format!("{p}/rows"),
                    format!("raw score {} has no standard score", sc.sum_min + i as i64),
                ));
            };
            if let Some(prev) = table.last() {
                if s < *prev {
                    return Err(err(
                        ErrorCode::SpecNormsNotMonotonic,
                        format!("{p}/rows"),
                        format!(
                            "raw {} maps to {} but raw {} maps to {}: a higher raw score must not get a lower standard score",
                            sc.sum_min + i as i64 - 1,
                            prev,
                            sc.sum_min + i as i64,
                            s
                        ),
                    ));
                }
            }
            table.push(s);
            if sc.bands_on == BandBasis::Score {
                exact_scores.push(exact);
            }
        }
        // Scores are non-decreasing, so the table is built in one pass.
        let band_by_raw = if sc.bands_on == BandBasis::Score {
            band_table(&sc.bands, exact_scores.into_iter())
        } else {
            Vec::new()
        };
        let norms = sc.norms.get_or_insert_with(|| NormPlan {
            raw_min: sc.sum_min,
            groups: Vec::new(),
        });
        if norms.groups.iter().any(|g| g.key == t.group) {
            return Err(err(
                ErrorCode::SpecDuplicateId,
                format!("{p}/group"),
                format!("two norm tables for scale {} and group {}", excerpt(&t.scale), excerpt_debug(&t.group)),
            ));
        }
        norms.groups.push(NormGroup {
            key: t.group.clone(),
            scores: table,
            band_by_raw,
        });
    }
    Ok(())
}

fn compile_cond(ctx: &Ctx, c: &Condition, p: &str) -> Result<CondPlan> {
    let item = |n: u32, path: &str| -> Result<usize> {
        ctx.item_by_number
            .get(&n)
            .copied()
            .ok_or_else(|| err(ErrorCode::SpecUnknownItem, path.to_owned(), format!("item {n} is not defined")).with_item(n))
    };
    let scale = |id: &str, path: &str| -> Result<usize> {
        ctx.scale_by_id
            .get(id)
            .copied()
            .ok_or_else(|| err(ErrorCode::SpecUnknownScale, path.to_owned(), format!("scale {} is not defined", excerpt(id))))
    };
    Ok(match c {
        Condition::Any(v) => CondPlan::Any(
            v.iter()
                .enumerate()
                .map(|(i, c)| compile_cond(ctx, c, &format!("{p}/any/{i}")))
                .collect::<Result<_>>()?,
        ),
        Condition::All(v) => CondPlan::All(
            v.iter()
                .enumerate()
                .map(|(i, c)| compile_cond(ctx, c, &format!("{p}/all/{i}")))
                .collect::<Result<_>>()?,
        ),
        Condition::Not(c) => CondPlan::Not(Box::new(compile_cond(ctx, c, &format!("{p}/not"))?)),
        Condition::Item(t) => CondPlan::Item {
            idx: item(t.item, &format!("{p}/item/item"))?,
            op: t.op,
            value: spec_number(t.value, ErrorCode::SpecInvalidValue, &format!("{p}/item/value"))?,
            on: t.on,
        },
        Condition::ItemState(t) => CondPlan::ItemState {
            idx: item(t.item, &format!("{p}/item_state/item"))?,
            state: t.state,
        },
        Condition::Scale(t) => {
            let idx = scale(&t.scale, &format!("{p}/scale/scale"))?;
            CondPlan::Scale {
                idx,
                op: t.op,
                value: spec_number(t.value, ErrorCode::SpecInvalidValue, &format!("{p}/scale/value"))?,
                basis: t.on.unwrap_or(ctx.spec.scales[idx].bands_on),
            }
        }
        Condition::ScaleUnscored(s) => CondPlan::ScaleUnscored(scale(s, &format!("{p}/scale_unscored"))?),
        Condition::Band(t) => {
            let idx = scale(&t.scale, &format!("{p}/band/scale"))?;
            if ctx.scale_bands[idx] == 0 || t.index >= ctx.scale_bands[idx] {
                return Err(err(
                    ErrorCode::SpecInvalidValue,
                    format!("{p}/band/index"),
                    format!("scale {} has no band with index {}", excerpt(&t.scale), t.index),
                ));
            }
            CondPlan::Band { idx, op: t.op, index: t.index }
        }
        Condition::CountOf(t) => CondPlan::CountOf {
            of: t
                .of
                .iter()
                .enumerate()
                .map(|(i, c)| compile_cond(ctx, c, &format!("{p}/count_of/of/{i}")))
                .collect::<Result<_>>()?,
            op: t.op,
            value: t.value,
        },
        Condition::Answered(t) => CondPlan::Answered {
            items: expand_items(ctx, &t.items, &format!("{p}/answered/items"))?,
            op: t.op,
            value: t.value,
        },
        Condition::StraightLine(t) => CondPlan::StraightLine {
            items: expand_items(ctx, &t.items, &format!("{p}/straight_line/items"))?,
            min_answered: t.min_answered.max(2),
        },
        Condition::DurationSeconds(t) => CondPlan::Duration {
            op: t.op,
            value: spec_number(t.value, ErrorCode::SpecInvalidValue, &format!("{p}/duration_seconds/value"))?,
        },
        Condition::Flag(id) => CondPlan::Flag(ctx.flag_by_id.get(id.as_str()).copied().ok_or_else(|| {
            err(
                ErrorCode::SpecUnknownFlag,
                format!("{p}/flag"),
                format!("flag {} is not defined before this point", excerpt(id)),
            )
        })?),
    })
}
