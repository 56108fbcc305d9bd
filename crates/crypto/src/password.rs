//! Password hashing with argon2id (PHC strings). The work factor is a parameter
//! so tests can use a cheap one; production uses argon2's defaults (~38 ms).

use crate::CryptoError;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

/// Argon2id cost. `Default` is argon2's recommended set.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for Cost {
    fn default() -> Self {
        Cost { memory_kib: Params::DEFAULT_M_COST, iterations: Params::DEFAULT_T_COST }
    }
}

pub fn hash(password: &str, cost: Cost) -> Result<String, CryptoError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(|e| CryptoError::Password(e.to_string()))?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Password(e.to_string()))
}

/// Verifies with the parameters recorded in the hash itself.
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let cheap = Cost { memory_kib: 64, iterations: 1 };
        let h = hash("correct horse", cheap).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "wrong"));
        assert!(!verify("garbage", "correct horse"));
    }
}
