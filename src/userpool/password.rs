//! Passwords: argon2id (m=19 MiB, t=2, p=1) on a fixed pool of threads (one per core unless
//! `PORTCULLIS_PASSWORD_HASHERS` says fewer), a dummy verify for unknown users so timing does not
//! reveal who exists, and the pool policy.
//!
//! The pool's threads take jobs from one queue and run them back to back, so under a burst of
//! logins every core stays on argon2 without waiting for an async task to be polled between two
//! hashes. Their 19 MiB blocks of argon2 memory are reused from job to job while sign-ins come
//! and given back once idle (`argon2_memory.rs`): the crate's convenience API allocates and
//! frees them on every call, glibc then kept freed blocks in its thread arenas, and a few hundred
//! logins had pushed the server's RSS past 600 MB.

use super::argon2_memory::{ScratchPool, bytes, scratch};
use super::error::{Error, Message, PolicyRule, Result};
use super::imported_hash::{FirebaseScrypt, ImportedHash};
use super::model::PasswordPolicy;
use super::srp::{self, Verifier};
use crate::crypto::MasterKey;
use crate::ids::{PoolId, UserSub};
use crate::store::users::UserRow;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

pub use super::argon2_memory::IDLE_RELEASE;

/// Work for a hashing thread, handed argon2 memory; what it returns wakes the caller, once the
/// memory is back in the pool (so the next job finds it there).
type Job = Box<dyn FnOnce(&mut Vec<Block>) -> Delivery + Send>;
type Delivery = Box<dyn FnOnce() + Send>;

#[derive(Clone, Debug)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// Jobs queued or running now, and how many may be: one per thread plus the queue depth.
    /// Past it a request is refused at once (TooManyRequestsException) rather than queued
    /// behind seconds of hashing, which would only grow the backlog and the memory.
    in_flight: Arc<AtomicUsize>,
    limit: usize,
    scratch: Arc<ScratchPool>,
    /// Seals each user's SRP verifier ([`PasswordCredential`]).
    master: MasterKey,
}

/// A password as it is kept: the argon2 PHC string and the user's SRP salt and verifier
/// (USER_SRP_AUTH), sealed under the master key. Only [`Passwords::credential`] makes one and
/// only [`PasswordCredential::set_on`] stores one, so every way a password is set (sign-up,
/// admin set / create, new-password challenge, forgot password, …) leaves a verifier too.
pub struct PasswordCredential {
    hash: String,
    srp_verifier: String,
}

impl PasswordCredential {
    /// Put the password on the user (hash and verifier; the caller dates it and saves).
    pub fn set_on(self, user: &mut UserRow) {
        user.password_hash = Some(self.hash);
        user.srp_verifier = Some(self.srp_verifier);
    }

    /// The argon2 hash alone (the benchmark seeds many users with one hash).
    pub fn argon2_hash(&self) -> &str {
        &self.hash
    }

    /// The sealed SRP verifier (stored beside the hash when an imported hash is replaced).
    pub fn sealed_srp_verifier(&self) -> &str {
        &self.srp_verifier
    }
}

/// What binds a sealed verifier to its user: pool and `sub`.
fn verifier_context(pool_id: &PoolId, sub: &UserSub) -> String {
    format!("srp-verifier:{pool_id}:{sub}")
}

/// A place in the queue, given back when the job has run or was dropped unrun.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn taken(in_flight: Arc<AtomicUsize>) -> Slot {
        crate::metrics::password_jobs(1.0);
        Slot(in_flight)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        crate::metrics::password_jobs(-1.0);
    }
}

/// How long a client shed by a full queue should wait before trying again.
const SHED_RETRY_AFTER_SECS: u64 = 1;

/// The server's argon2id memory in KiB; a stored hash asking for more is checked in memory of
/// its own, so one imported hash does not leave every hashing thread holding more.
pub(super) const SERVER_M_COST: u32 = 19 * 1024;

fn params() -> Params {
    // OWASP's first recommendation; these are also the crate defaults, pinned here on purpose.
    Params::new(SERVER_M_COST, 2, 1, None).unwrap_or_default()
}

/// Whether a stored hash is the server's own argon2id with its parameters; any other (an
/// imported hash) is replaced at the user's next successful password sign-in.
pub fn is_current(stored: &str) -> bool {
    stored.starts_with(current_prefix())
}

/// What every hash of the server's own argon2id starts with: `$argon2id$v=19$m=19456,t=2,p=1$`.
pub fn current_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let params = ParamsString::try_from(&params()).map(|p| p.to_string()).unwrap_or_default();
        format!("${}$v=19${params}$", Algorithm::Argon2id.ident())
    })
}

/// Check `password` against a stored hash of any accepted format ([`ImportedHash`]); a
/// Firebase hash needs the pool's parameters. Unparsable hashes never match.
fn verify_stored(memory: &mut Vec<Block>, stored: &str, firebase: Option<&FirebaseScrypt>, password: &[u8]) -> bool {
    let Ok(hash) = ImportedHash::parse(stored) else {
        return false;
    };
    if hash.needs_own_memory() {
        return hash.verify(password, firebase, |h, pw| verify_with(&mut Vec::new(), h, pw));
    }
    hash.verify(password, firebase, |h, pw| verify_with(memory, h, pw))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password` with a fresh salt.
fn hash_with(memory: &mut Vec<Block>, password: &[u8]) -> std::result::Result<String, String> {
    let params = params();
    let salt = crate::crypto::random_array::<16>();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut out, scratch(memory, params.block_count()))
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Check `password` against a PHC string with the algorithm, version and parameters it names
/// (as the crate's `verify_password` does); the outputs are compared in constant time.
fn verify_with(memory: &mut Vec<Block>, stored: &str, password: &[u8]) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = phc.version.map(Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version.unwrap_or_default(), params.clone()).hash_password_into_with_memory(
        password,
        salt,
        &mut out,
        scratch(memory, params.block_count()),
    );
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == *expected)
}

/// A real hash of a random password, verified against when the user does not exist.
fn dummy_hash(memory: &mut Vec<Block>) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_with(memory, crate::crypto::random_token().as_bytes()).unwrap_or_default())
}

impl Passwords {
    /// Start one hashing thread per core, with a queue of 64 jobs per core.
    pub fn new(master: MasterKey) -> Self {
        Self::with_queue(64 * crate::config::cores(), master)
    }

    /// Start one hashing thread per core; at most `depth` jobs wait for one.
    pub fn with_queue(depth: usize, master: MasterKey) -> Self {
        Self::start(crate::config::cores(), depth, master, IDLE_RELEASE)
    }

    /// Start `hashers` hashing threads (at least one); at most `depth` jobs wait for one. The
    /// argon2 memory a thread used goes back to the system once no job has needed it for
    /// `idle` (within a quarter more). The threads end when the last clone of this is dropped.
    pub fn start(hashers: usize, depth: usize, master: MasterKey, idle: Duration) -> Self {
        let hashers = hashers.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let scratch = Arc::new(ScratchPool::default());
        for i in 0..hashers {
            let (queue, scratch) = (queue.clone(), scratch.clone());
            let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
                loop {
                    // One thread waits on the queue at a time (it holds the lock); it wakes a
                    // few times an idle period to give back the memory left unused that long.
                    let job = match queue.lock() {
                        Ok(q) => q.recv_timeout(idle / 4),
                        Err(_) => return,
                    };
                    let job = match job {
                        Ok(job) => job,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            scratch.release_idle(idle);
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    };
                    let mut memory = scratch.take();
                    let before = bytes(&memory);
                    // A panicking job fails its own request (its reply is dropped), not the thread.
                    let delivery = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
                    scratch.give_back(memory, before);
                    if let Ok(deliver) = delivery {
                        deliver();
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        let in_flight = Arc::new(AtomicUsize::new(0));
        Passwords { jobs, in_flight, limit: hashers.saturating_add(depth), scratch, master }
    }

    /// The argon2 memory the hashing threads hold now, in bytes: 19 MiB for each thread that
    /// has worked within the idle time ([`IDLE_RELEASE`]), none once they have all been idle.
    pub fn memory_held(&self) -> usize {
        self.scratch.held()
    }

    /// Queue `f` for a hashing thread and wait for its result; TooManyRequests when the queue
    /// is full. A job whose caller has gone (request cancelled) is skipped.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Result<T> {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(limit = self.limit, "password queue full: request shed");
            crate::metrics::password_shed();
            return Err(Error::TooManyRequests { retry_after_secs: SHED_RETRY_AFTER_SECS });
        }
        let slot = Slot::taken(self.in_flight.clone());
        let (reply, result) = tokio::sync::oneshot::channel();
        let queued = std::time::Instant::now();
        let job: Job = Box::new(move |memory| {
            crate::metrics::password_queue_wait(queued.elapsed().as_secs_f64());
            let out = (!reply.is_closed()).then(|| f(memory));
            Box::new(move || {
                // The place is given back before the caller is woken, so it is free once they have the answer.
                drop(slot);
                if let Some(out) = out {
                    let _ = reply.send(out);
                }
            })
        });
        self.jobs.send(job).map_err(|_| Error::internal(anyhow::anyhow!("no password hashing thread is running")))?;
        result.await.map_err(Error::internal)
    }

    /// The argon2 hash and sealed SRP verifier of `password` for the user `sub` of the pool,
    /// whose USER_ID_FOR_SRP is `username`: the one way a new password becomes stored.
    pub async fn credential(
        &self,
        pool_id: &PoolId,
        sub: &UserSub,
        username: &str,
        password: &str,
    ) -> Result<PasswordCredential> {
        let hash = self.hash(password).await?;
        let srp_verifier = self.srp_verifier(pool_id, sub, username, password).await?;
        Ok(PasswordCredential { hash, srp_verifier })
    }

    /// The sealed SRP verifier alone: for a user who has none yet, once their password was
    /// found right at a password sign-in. Computed on the hashing threads (a 3072-bit modexp).
    pub async fn srp_verifier(
        &self,
        pool_id: &PoolId,
        sub: &UserSub,
        username: &str,
        password: &str,
    ) -> Result<String> {
        let (master, context) = (self.master.clone(), verifier_context(pool_id, sub));
        let (name, user, pw) = (srp::pool_name(pool_id).to_string(), username.to_string(), password.to_string());
        self.run(move |_| master.seal(&Verifier::derive(&name, &user, &pw).to_bytes(), &context)).await
    }

    /// The user's SRP verifier, if they have one and it opens under this master key.
    pub fn open_srp_verifier(&self, user: &UserRow) -> Option<Verifier> {
        let sealed = user.srp_verifier.as_deref()?;
        let bytes = self.master.open(sealed, &verifier_context(&user.pool_id, &user.id)).ok()?;
        Verifier::from_stored(&bytes)
    }

    /// A keyed stand-in seed for a name with no verifier behind it (see [`Verifier::stand_in`]).
    pub fn stand_in_seed(&self, pool_id: &PoolId, name_key: &str) -> [u8; 48] {
        let a = self.master.mac("srp-stand-in-a", format!("{pool_id}\0{name_key}").as_bytes());
        let b = self.master.mac("srp-stand-in-b", format!("{pool_id}\0{name_key}").as_bytes());
        let mut seed = [0u8; 48];
        seed[..32].copy_from_slice(&a);
        seed[32..].copy_from_slice(&b[..16]);
        seed
    }

    async fn hash(&self, password: &str) -> Result<String> {
        let pw = password.as_bytes().to_vec();
        self.run(move |memory| hash_with(memory, &pw))
            .await?
            .map_err(|e| Error::internal(anyhow::anyhow!("argon2: {e}")))
    }

    /// Verify against the stored hash, or against a dummy hash when there is none, so the
    /// work done is the same either way (in a pool without imported hashes).
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool> {
        self.verify_stored(stored, None, None, password).await
    }

    /// [`Self::verify`] for a stored hash of any accepted format ([`ImportedHash`]), with the
    /// pool's Firebase parameters for a Firebase scrypt hash, and the pool's decoy if it has
    /// one. Every check costs one argon2 verify plus one at the imported cost: an imported hash
    /// is followed by the dummy argon2 verify; the server's own hash, or none (the dummy), by
    /// the decoy, so a user with an imported hash does not answer slower than a name no user has.
    pub async fn verify_stored(
        &self,
        stored: Option<&str>,
        firebase: Option<FirebaseScrypt>,
        decoy: Option<Decoy>,
        password: &str,
    ) -> Result<bool> {
        let stored = stored.map(str::to_string);
        let pw = password.as_bytes().to_vec();
        self.run(move |memory| {
            let right = match &stored {
                Some(hash) => verify_stored(memory, hash, firebase.as_ref(), &pw),
                None => {
                    let dummy = dummy_hash(memory);
                    verify_with(memory, dummy, &pw);
                    false
                }
            };
            if stored.as_deref().is_some_and(|h| !is_current(h)) {
                let dummy = dummy_hash(memory);
                verify_with(memory, dummy, &pw);
            } else if let Some(decoy) = &decoy {
                verify_stored(memory, &decoy.hash, decoy.firebase.as_ref(), &pw);
                crate::metrics::password_decoy_verified();
            }
            right
        })
        .await
    }

    /// How long one check of a random password against `hash` takes on a hashing thread, in
    /// microseconds (to choose the costlier of two decoys).
    pub async fn verify_micros(&self, hash: Decoy) -> Result<i64> {
        let pw = crate::crypto::random_token();
        self.run(move |memory| {
            let started = std::time::Instant::now();
            verify_stored(memory, &hash.hash, hash.firebase.as_ref(), pw.as_bytes());
            i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX)
        })
        .await
    }
}

/// A pool's decoy hash as the hashing threads check it: an imported hash no password matches
/// ([`ImportedHash::decoy`]), with the pool's Firebase parameters when it is a Firebase one.
#[derive(Clone, Debug)]
pub struct Decoy {
    pub hash: String,
    pub firebase: Option<FirebaseScrypt>,
}

/// Cognito's special characters (space counts too).
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// Check a password against the pool policy; the message lists the first failed rule as Cognito does.
pub fn check_policy(policy: &PasswordPolicy, password: &str) -> Result<()> {
    let fail = |rule| Err(Error::InvalidPassword(Message::Policy(rule)));
    if password.chars().count() < policy.minimum_length {
        return fail(PolicyRule::TooShort);
    }
    if password.chars().count() > 256 {
        return fail(PolicyRule::TooLong);
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return fail(PolicyRule::Lowercase);
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return fail(PolicyRule::Uppercase);
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail(PolicyRule::Numeric);
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail(PolicyRule::Symbol);
    }
    Ok(())
}

/// A temporary password that satisfies any policy: 12 random characters plus one of each class.
pub fn generate_temporary(policy: &PasswordPolicy) -> String {
    let len = policy.minimum_length.max(12);
    let mut s =
        crate::crypto::random_from(b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", len.saturating_sub(4));
    s.push_str(&crate::crypto::random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1));
    s.push_str(&crate::crypto::random_from(b"abcdefghijkmnopqrstuvwxyz", 1));
    s.push_str(&crate::crypto::random_from(b"23456789", 1));
    s.push_str(&crate::crypto::random_from(b"!@#%&*+=", 1));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }

    #[test]
    fn policy_names_the_failed_rule() {
        let p = strict();
        assert!(check_policy(&p, "Aa1!aaaa").is_ok());
        let msg = |pw| check_policy(&p, pw).unwrap_err().to_string();
        assert!(msg("Aa1!").contains("not long enough"));
        assert!(msg("AA1!AAAA").contains("lowercase"));
        assert!(msg("aa1!aaaa").contains("uppercase"));
        assert!(msg("Aaa!aaaa").contains("numeric"));
        assert!(msg("Aa1aaaaa").contains("symbol"));
    }

    #[test]
    fn generated_temporary_passwords_pass_the_strictest_policy() {
        for _ in 0..20 {
            assert!(check_policy(&strict(), &generate_temporary(&strict())).is_ok());
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(MasterKey::from_bytes(&[3; 32]));
        let h = p.hash("Secret-1a").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify(Some(&h), "Secret-1a").await.unwrap());
        assert!(!p.verify(Some(&h), "Secret-1b").await.unwrap());
        assert!(!p.verify(None, "Secret-1a").await.unwrap());
    }

    #[tokio::test]
    async fn idle_hashers_give_their_argon2_memory_back() {
        let p = Passwords::start(2, 8, MasterKey::from_bytes(&[3; 32]), Duration::from_millis(300));
        let held = || p.memory_held();
        assert_eq!(held(), 0, "nothing is held before the first job");
        let h = p.hash("Secret-1a").await.unwrap();
        let one = SERVER_M_COST as usize * 1024;
        assert_eq!(held(), one, "a hash holds m KiB");
        // Two at once: one buffer a thread, both kept for the next burst.
        let (a, b) = tokio::join!(p.verify(Some(&h), "Secret-1a"), p.verify(Some(&h), "Secret-1a"));
        assert!(a.unwrap() && b.unwrap());
        assert!(held() == one || held() == 2 * one, "{}", held());
        let reused = held();
        assert!(p.verify(Some(&h), "Secret-1a").await.unwrap());
        assert_eq!(held(), reused, "a later job reuses the memory");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while held() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(held(), 0, "idle memory is freed");
        assert!(p.verify(Some(&h), "Secret-1a").await.unwrap(), "and taken again when needed");
        assert_eq!(held(), one);
    }

    #[tokio::test]
    async fn a_full_queue_sheds_with_too_many_requests_and_frees_its_places() {
        let p = Passwords::with_queue(0, MasterKey::from_bytes(&[3; 32]));
        let n = p.limit * 4 + 4;
        let results = futures_util::future::join_all((0..n).map(|_| p.verify(None, "pw"))).await;
        let shed = results.iter().filter(|r| matches!(r, Err(Error::TooManyRequests { .. }))).count();
        assert!(shed >= n / 2, "{shed} of {n} shed with room for {}", p.limit);
        assert!(results.iter().any(|r| matches!(r, Ok(false))));
        assert_eq!(p.in_flight.load(Ordering::Acquire), 0);
        assert_eq!(Error::TooManyRequests { retry_after_secs: 1 }.to_string(), "Too many requests");
        assert!(p.verify(None, "pw").await.is_ok());
    }

    /// Hashes made by the crate's own API (as stored before the memory was reused) verify, and
    /// ours verify with the crate's API.
    #[test]
    fn interoperates_with_the_crate_api() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let crate_api = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let memory = &mut Vec::new();
        let theirs = crate_api.hash_password_with_salt(b"Secret-1a", b"0123456789abcdef").unwrap().to_string();
        assert!(verify_with(memory, &theirs, b"Secret-1a"));
        assert!(!verify_with(memory, &theirs, b"Secret-1b"));
        let ours = hash_with(memory, b"Secret-1a").unwrap();
        assert!(crate_api.verify_password(b"Secret-1a", ours.as_str()).is_ok());
        assert!(crate_api.verify_password(b"Secret-1b", ours.as_str()).is_err());
        // Other parameters named in a stored hash are honoured.
        let small = Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::new(64, 1, 1, None).unwrap());
        let other = small.hash_password_with_salt(b"pw", b"saltsaltsalt").unwrap().to_string();
        assert!(verify_with(memory, &other, b"pw"));
        assert!(!verify_with(memory, "$argon2id$v=19$garbage", b"pw"));
        assert_eq!(memory.len(), 19 * 1024);
    }

    /// A decoy is checked in full: it parses, no password matches it, and verifying it takes
    /// about as long as verifying its source (best of three each, bcrypt cost 9: tens of
    /// milliseconds, far above an early refusal).
    #[tokio::test]
    async fn a_decoy_verifies_to_false_at_full_cost() {
        let p = Passwords::new(MasterKey::from_bytes(&[3; 32]));
        let source = bcrypt::hash_with_salt("abc", 9, [7; 16]).unwrap().format_for_version(bcrypt::Version::TwoB);
        let decoy = ImportedHash::parse(&source).unwrap().decoy().unwrap().as_str().to_string();
        let memory = &mut Vec::new();
        assert!(verify_stored(memory, &source, None, b"abc"));
        assert!(!verify_stored(memory, &decoy, None, b"abc"));
        assert!(matches!(p.verify_stored(Some(&decoy), None, None, "abc").await, Ok(false)));
        let best = |hash: &str| {
            let hash = Decoy { hash: hash.to_string(), firebase: None };
            let p = p.clone();
            async move {
                let mut times = Vec::new();
                for _ in 0..3 {
                    times.push(p.verify_micros(hash.clone()).await.unwrap());
                }
                times.into_iter().min().unwrap()
            }
        };
        let (source_micros, decoy_micros) = (best(&source).await, best(&decoy).await);
        assert!(source_micros > 5_000, "bcrypt cost 9 took {source_micros} µs");
        assert!(decoy_micros * 3 > source_micros, "decoy {decoy_micros} µs, source {source_micros} µs");
        // Unparsable: refused at once, which is what a decoy must never be.
        assert!(best("$2b$09$short").await < source_micros / 10);
    }

    /// An imported argon2 hash bigger than the server's is checked in memory of its own (the
    /// thread keeps only the server's 19 MiB), and only the server's own hashes are current.
    #[test]
    fn imported_hashes_verify_without_growing_the_threads_memory() {
        let memory = &mut Vec::new();
        let ours = hash_with(memory, b"pw").unwrap();
        // The argon2 reference tool's answer for "password" / "somesalt".
        let big = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        assert!(verify_stored(memory, big, None, b"password"));
        assert!(!verify_stored(memory, big, None, b"passwore"));
        assert_eq!(memory.len(), 19 * 1024);
        assert!(verify_stored(memory, &ours, None, b"pw"));
        assert!(is_current(&ours));
        assert!(!is_current(big));
        assert!(!verify_stored(memory, "$2b$06$garbage", None, b"pw"));
    }
}
