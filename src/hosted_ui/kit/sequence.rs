//! The order in which a hosted page's checks answer, whatever order their futures finish in.
//!
//! actix-web runs a handler's extractors as one future (`FromRequest` for tuples): it calls every
//! `from_request` in argument order, then polls all the futures, in that order, round after
//! round, and answers with the first error a round meets. An extractor that waits on the
//! database therefore loses to one after it that fails at once: argument order alone does not
//! order the answers. The hosted pages answer in one order, the order of the handlers that
//! checked in their bodies: the authorization request's query, the page's other query members,
//! the form's body, the flow (pool, client, authorization request), the form's CSRF token.
//!
//! So [`super::Flow`] and [`super::CsrfForm`] take turns through this per-request record (in the
//! request's extensions): the flow's checks start once every extractor after it has had its
//! first poll and the form (if one follows) is read, and the token is checked once the flow
//! (if one came first) is valid. Each waits without keeping a waker: the other extractor runs in
//! the same task, and whoever ends a turn wakes that task.

use actix_web::{HttpMessage, HttpRequest};
use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

#[derive(Default)]
struct Sequence {
    /// A flow was extracted (its `from_request` ran) for this request.
    flow: Cell<bool>,
    /// A form whose token waits for the flow was extracted for this request.
    form: Cell<bool>,
    form_read: Cell<bool>,
    flow_valid: Cell<bool>,
}

fn sequence(req: &HttpRequest) -> Rc<Sequence> {
    let mut extensions = req.extensions_mut();
    if let Some(s) = extensions.get::<Rc<Sequence>>() {
        return s.clone();
    }
    let s = Rc::new(Sequence::default());
    extensions.insert(s.clone());
    s
}

/// Set `mark` and wake the task, whose other extractor may wait for it.
async fn reach(mark: &Cell<bool>) {
    mark.set(true);
    poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Ready(())
    })
    .await
}

/// Wait until `ready` holds (see the module's note on wakers).
async fn until(ready: impl Fn() -> bool) {
    poll_fn(|_| if ready() { Poll::Ready(()) } else { Poll::Pending }).await
}

/// Give the extractors after this one their first poll, so those that answer at once (a query)
/// answer before this one's lookups.
async fn let_others_answer() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// The flow's turn, taken in its `from_request`.
pub(super) struct FlowTurn(Rc<Sequence>);

impl FlowTurn {
    pub fn take(req: &HttpRequest) -> Self {
        let s = sequence(req);
        s.flow.set(true);
        FlowTurn(s)
    }

    /// Wait until the flow's checks may start.
    pub async fn start(&self) {
        let_others_answer().await;
        until(|| !self.0.form.get() || self.0.form_read.get()).await;
    }

    /// The flow is valid: a form's token may be checked.
    pub async fn valid(&self) {
        reach(&self.0.flow_valid).await;
    }
}

/// A form's turn, taken in its `from_request`: its token waits for a flow extracted before it.
pub(super) struct TokenTurn {
    sequence: Rc<Sequence>,
    after_flow: bool,
}

impl TokenTurn {
    pub fn take(req: &HttpRequest) -> Self {
        let sequence = sequence(req);
        let after_flow = sequence.flow.get();
        sequence.form.set(true);
        TokenTurn { sequence, after_flow }
    }

    /// The form is read: the flow's checks may start.
    pub async fn read(&self) {
        reach(&self.sequence.form_read).await;
    }

    /// Wait until the token may be checked.
    pub async fn start(&self) {
        until(|| !self.after_flow || self.sequence.flow_valid.get()).await;
    }
}

#[cfg(test)]
mod tests {
    //! Stand-ins for the extractors, each failing or not after some rounds of polling, show the
    //! order of the answers when several checks fail.

    use super::*;
    use actix_web::dev::Payload;
    use actix_web::error::ErrorBadRequest;
    use actix_web::test::TestRequest;
    use actix_web::{Error, FromRequest};
    use futures_util::TryFutureExt;
    use futures_util::future::LocalBoxFuture;

    /// One stage of a stand-in: pending for so many polls, then failing with the text or not.
    type Stage = (usize, Option<&'static str>);
    /// What a stand-in does: its stage before its turn, and its stage in its turn.
    type Plan = [Stage; 2];

    async fn work((rounds, fails): Stage) -> Result<(), Error> {
        let mut left = rounds;
        poll_fn(|cx| {
            if left == 0 {
                return Poll::Ready(());
            }
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        fails.map_or(Ok(()), |why| Err(ErrorBadRequest(why)))
    }

    fn plan(req: &HttpRequest, key: &str) -> Plan {
        req.app_data::<Vec<(String, Plan)>>().unwrap().iter().find(|(k, _)| k == key).unwrap().1
    }

    /// Like `Flow` (the query, then the checks) when `FLOW`, like `CsrfForm` (the body, then
    /// the token) otherwise.
    struct Standin<const FLOW: bool>;
    type Flow = Standin<true>;
    type Form = Standin<false>;
    /// Like `crate::web::Query`: answers at once.
    struct Query;

    impl<const FLOW: bool> FromRequest for Standin<FLOW> {
        type Error = Error;
        type Future = LocalBoxFuture<'static, Result<Self, Error>>;
        fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
            let [before, during] = plan(req, if FLOW { "flow" } else { "form" });
            let turns = if FLOW { (Some(FlowTurn::take(req)), None) } else { (None, Some(TokenTurn::take(req))) };
            Box::pin(async move {
                work(before).await?;
                match &turns {
                    (Some(flow), _) => flow.start().await,
                    (_, Some(token)) => {
                        token.read().await;
                        token.start().await
                    }
                    _ => unreachable!(),
                }
                work(during).await?;
                if let (Some(flow), _) = &turns {
                    flow.valid().await;
                }
                Ok(Standin)
            })
        }
    }

    impl FromRequest for Query {
        type Error = Error;
        type Future = LocalBoxFuture<'static, Result<Self, Error>>;
        fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
            Box::pin(work(plan(req, "query")[0]).map_ok(|()| Query))
        }
    }

    /// The answer to a request whose extractors, in `order`, follow `plans`.
    async fn answer(order: &str, plans: &[(&str, Plan)]) -> Result<(), String> {
        async fn extract<T: FromRequest>(req: &HttpRequest, payload: &mut Payload) -> Result<(), Error> {
            T::from_request(req, payload).await.map(drop).map_err(Into::into)
        }
        let plans: Vec<(String, Plan)> = plans.iter().map(|(k, p)| (k.to_string(), *p)).collect();
        let (req, mut payload) = TestRequest::default().app_data(plans).to_http_parts();
        let answer = match order {
            "flow form" => extract::<(Flow, Form)>(&req, &mut payload).await,
            "flow query" => extract::<(Flow, Query)>(&req, &mut payload).await,
            "flow query form" => extract::<(Flow, Query, Form)>(&req, &mut payload).await,
            "form flow" => extract::<(Form, Flow)>(&req, &mut payload).await,
            _ => unreachable!("no such order"),
        };
        answer.map_err(|e| e.to_string())
    }

    const FINE: Plan = [(0, None), (0, None)];

    #[actix_web::test]
    async fn checks_answer_in_the_pages_order_whatever_order_they_finish_in() {
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, Plan)], Result<(), &'a str>);
        let cases: [Case; 8] = [
            (
                "a slow bad flow before a bad token",
                "flow form",
                &[("flow", [(0, None), (3, Some("flow"))]), ("form", [(1, None), (0, Some("token"))])],
                Err("flow"),
            ),
            (
                "a bad token after a valid flow",
                "flow form",
                &[("flow", FINE), ("form", [(2, None), (0, Some("token"))])],
                Err("token"),
            ),
            (
                "a slow bad body before a quick bad flow",
                "flow form",
                &[("flow", [(0, None), (0, Some("flow"))]), ("form", [(3, Some("body")), (0, None)])],
                Err("body"),
            ),
            (
                "the query first",
                "flow form",
                &[("flow", [(0, Some("query")), (0, Some("flow"))]), ("form", [(0, Some("body")), (0, None)])],
                Err("query"),
            ),
            (
                "a later query before the flow's checks",
                "flow query",
                &[("flow", [(0, None), (0, Some("flow"))]), ("query", [(0, Some("extra")), (0, None)])],
                Err("extra"),
            ),
            (
                "a form before the flow checks its token first",
                "form flow",
                &[("flow", [(0, None), (3, Some("flow"))]), ("form", [(0, None), (0, Some("token"))])],
                Err("token"),
            ),
            ("all fine", "flow query form", &[("flow", FINE), ("form", FINE), ("query", FINE)], Ok(())),
            ("all fine, the form first", "form flow", &[("flow", FINE), ("form", FINE)], Ok(())),
        ];
        for (what, order, plans, want) in cases {
            assert_eq!(answer(order, plans).await, want.map_err(String::from), "{what}");
        }
    }
}
