//! API tokens an account mints for its clients (JMAP `Authorization: Bearer`).
//! Stored only as a keyed hash of the token (under the directory key) with
//! the account id, a label and the creation time: the token itself is shown
//! once, at creation, and never stored.

use crate::{
    Error, Result, UnixTime,
    account::AccountId,
    directory::AccountRecord,
    keys::{self, Key},
    sealed,
    store::Store,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tresor_kv::{Batch, DIRECTORY};

const DIR_TOKEN: u8 = b'T';

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub account: u64,
    pub label: String,
    pub created_at: UnixTime,
    /// A short public id (the start of the hash) to name it for revocation.
    pub id: String,
}

fn token_key(store: &Store, token: &str) -> (Vec<u8>, String) {
    let h = store.dir_key.name_hash(b"api-token", token.as_bytes());
    let id = h[..6].iter().map(|b| format!("{b:02x}")).collect();
    (Key::new(DIR_TOKEN).hash(&h).build(), id)
}

impl Store {
    /// Mints a token for `login`; returns it (the only time it is visible).
    pub fn create_token(&self, login: &str, label: &str, now: UnixTime) -> Result<(String, TokenInfo)> {
        let record = self.account_by_login(login)?;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!("tresor_{}", raw.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let (k, id) = token_key(self, &token);
        let info = TokenInfo { account: record.id, label: label.to_owned(), created_at: now, id };
        let mut b = Batch::new();
        b.put(DIRECTORY, k.clone(), sealed::seal(&self.dir_key, DIRECTORY, &k, &info));
        self.guard.write(&*self.engine.main(), b)?;
        Ok((token, info))
    }

    /// The account a token opens, if it is valid and the account exists.
    pub fn authenticate_token(&self, token: &str) -> Result<Option<AccountRecord>> {
        if !token.starts_with("tresor_") {
            return Ok(None);
        }
        let (k, _) = token_key(self, token);
        match sealed::get::<TokenInfo>(&*self.engine.main(), &self.dir_key, DIRECTORY, &k)? {
            Some(info) => self.record(AccountId(info.account)),
            None => Ok(None),
        }
    }

    fn all_tokens(&self) -> Result<Vec<(Vec<u8>, TokenInfo)>> {
        let (from, to) = keys::prefix_range(vec![DIR_TOKEN]);
        tresor_kv::collect(&*self.engine.main(), DIRECTORY, &from, &to)?
            .into_iter()
            .map(|(k, v)| sealed::open::<TokenInfo>(&self.dir_key, DIRECTORY, &k, &v).map(|t| (k, t)))
            .collect()
    }

    pub fn list_tokens(&self, login: &str) -> Result<Vec<TokenInfo>> {
        let record = self.account_by_login(login)?;
        Ok(self.all_tokens()?.into_iter().map(|(_, t)| t).filter(|t| t.account == record.id).collect())
    }

    /// Revokes the token of `login` whose public id is `id`.
    pub fn revoke_token(&self, login: &str, id: &str) -> Result<()> {
        let record = self.account_by_login(login)?;
        let found = self.all_tokens()?.into_iter().find(|(_, t)| t.account == record.id && t.id == id);
        let (k, _) = found.ok_or_else(|| Error::invalid("token", format!("no token {id} for this account")))?;
        let mut b = Batch::new();
        b.delete(DIRECTORY, k);
        self.guard.write(&*self.engine.main(), b)
    }

    /// Deletes every token of an account (its purge).
    pub(crate) fn token_keys_of(&self, account: u64) -> Result<Vec<Vec<u8>>> {
        Ok(self.all_tokens()?.into_iter().filter(|(_, t)| t.account == account).map(|(k, _)| k).collect())
    }
}
