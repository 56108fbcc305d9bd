//! What a client can ask: the parsed form of every command the server accepts.
//!
//! Strings are kept as the client sent them (after unquoting / literal
//! extraction): mailbox names are still in modified UTF-7 (or UTF-8 once the
//! client enabled UTF8=ACCEPT) and search strings are still in the command's
//! CHARSET. The session decodes them, because only it knows what was enabled.

use zeroize::Zeroizing;

/// One command with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub tag: String,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    // Any state.
    Capability,
    Noop,
    Logout,
    /// RFC 2971: `ID NIL` is `None`.
    Id(Option<Vec<(String, Option<String>)>>),

    // Not authenticated.
    StartTls,
    Login {
        user: String,
        password: Zeroizing<String>,
    },
    /// `initial`: the SASL-IR initial response, base64 as sent (`=` is an
    /// empty response); None when the client will send it after a `+`.
    Authenticate {
        mechanism: String,
        initial: Option<String>,
    },

    // Authenticated.
    Enable(Vec<String>),
    Select {
        mailbox: String,
        read_only: bool,
        params: SelectParams,
    },
    Create {
        mailbox: String,
        /// RFC 6154 CREATE-SPECIAL-USE: `(USE (\Sent))`.
        special_use: Vec<String>,
    },
    Delete(String),
    Rename {
        from: String,
        to: String,
    },
    Subscribe(String),
    Unsubscribe(String),
    List(List),
    Lsub {
        reference: String,
        pattern: String,
    },
    Namespace,
    Status {
        mailbox: String,
        items: Vec<StatusItem>,
    },
    /// MULTIAPPEND: one or more messages, appended all or nothing.
    Append {
        mailbox: String,
        messages: Vec<AppendMessage>,
    },
    Idle,
    GetQuota(String),
    GetQuotaRoot(String),
    SetQuota {
        root: String,
        limits: Vec<(String, u64)>,
    },
    GetMetadata {
        mailbox: String,
        options: MetadataOptions,
        entries: Vec<String>,
    },
    SetMetadata {
        mailbox: String,
        /// None: remove the entry (NIL).
        entries: Vec<(String, Option<Vec<u8>>)>,
    },
    /// RFC 4978 COMPRESS; the mechanism as sent (only DEFLATE is known).
    Compress(String),

    // Selected.
    Check,
    Close,
    Unselect,
    /// `EXPUNGE`, or `UID EXPUNGE set` (UIDPLUS).
    Expunge(Option<SequenceSet>),
    Search {
        uid: bool,
        charset: Option<String>,
        /// RFC 4731 ESEARCH `RETURN (...)`; None: classic `* SEARCH`.
        /// `Some(vec![])` is `RETURN ()`, which means ALL.
        ret: Option<Vec<SearchReturn>>,
        criteria: SearchKey,
    },
    Sort {
        uid: bool,
        ret: Option<Vec<SearchReturn>>,
        keys: Vec<SortKey>,
        charset: String,
        criteria: SearchKey,
    },
    Thread {
        uid: bool,
        algorithm: ThreadAlgorithm,
        charset: String,
        criteria: SearchKey,
    },
    Fetch {
        uid: bool,
        set: SequenceSet,
        items: Vec<FetchAttr>,
        /// CONDSTORE `(CHANGEDSINCE n)`.
        changed_since: Option<u64>,
        /// QRESYNC `(VANISHED)`, only with CHANGEDSINCE and UID.
        vanished: bool,
    },
    Store {
        uid: bool,
        set: SequenceSet,
        unchanged_since: Option<u64>,
        op: StoreOp,
        silent: bool,
        flags: Vec<String>,
    },
    Copy {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
    Move {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
}

/// SELECT/EXAMINE parameters (RFC 7162).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectParams {
    pub condstore: bool,
    pub qresync: Option<QResync>,
}

/// `(QRESYNC (uidvalidity modseq [known-uids [(seq-match uid-match)]]))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QResync {
    pub uid_validity: u32,
    pub modseq: u64,
    pub known_uids: Option<SequenceSet>,
    /// (known sequence numbers, the UIDs they correspond to).
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// A sequence set: ranges of sequence numbers or UIDs, or `$` (SEARCHRES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceSet {
    Ranges(Vec<SeqRange>),
    /// RFC 5182: the result of the last `SEARCH RETURN (SAVE)`.
    Saved,
}

/// `a`, `a:b` (either order), with `*` for the largest number in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub from: SeqNum,
    pub to: SeqNum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNum {
    Value(u32),
    Star,
}

/// LIST, with RFC 5258 LIST-EXTENDED and RFC 5819 LIST-STATUS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub reference: String,
    pub patterns: Vec<String>,
    pub select: Vec<ListSelect>,
    pub ret: Vec<ListReturn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSelect {
    Subscribed,
    Remote,
    RecursiveMatch,
    SpecialUse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListReturn {
    Subscribed,
    Children,
    SpecialUse,
    Status(Vec<StatusItem>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusItem {
    Messages,
    Recent,
    UidNext,
    UidValidity,
    Unseen,
    Deleted,
    /// RFC 8438 STATUS=SIZE.
    Size,
    HighestModSeq,
    /// RFC 7889.
    AppendLimit,
    /// RFC 8474.
    MailboxId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    pub flags: Vec<String>,
    pub date: Option<DateTime>,
    pub data: Vec<u8>,
    /// RFC 3516 `~{n}` literal8: the data may contain NUL.
    pub binary: bool,
}

/// An IMAP date-time (`"17-Jul-1996 02:44:25 -0700"`), as Unix seconds UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub unix: i64,
    /// Offset from UTC in minutes as written (for display only).
    pub offset_minutes: i32,
}

/// An IMAP date (`1-Feb-1994`) for SEARCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataOptions {
    pub max_size: Option<u64>,
    /// DEPTH: 0, 1 or infinity (None = 0).
    pub depth: MetadataDepth,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetadataDepth {
    #[default]
    Zero,
    One,
    Infinity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReturn {
    Min,
    Max,
    All,
    Count,
    /// RFC 5182 SEARCHRES.
    Save,
}

/// Search keys (RFC 9051 6.4.4, RFC 7162 MODSEQ, RFC 5032 WITHIN, RFC 8474).
/// Strings are raw bytes in the command's charset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// A parenthesised list or the implicit AND of the top level.
    And(Vec<SearchKey>),
    Or(Box<SearchKey>, Box<SearchKey>),
    Not(Box<SearchKey>),
    All,
    SequenceSet(SequenceSet),
    Uid(SequenceSet),
    Answered,
    Deleted,
    Draft,
    Flagged,
    Seen,
    Recent,
    New,
    Old,
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unseen,
    Keyword(String),
    Unkeyword(String),
    Bcc(Vec<u8>),
    Cc(Vec<u8>),
    From(Vec<u8>),
    To(Vec<u8>),
    Subject(Vec<u8>),
    Body(Vec<u8>),
    Text(Vec<u8>),
    /// Header field name, value to look for (empty: the field exists).
    Header(String, Vec<u8>),
    /// By internal date (the day, in the server's zone: UTC).
    Before(Date),
    On(Date),
    Since(Date),
    /// By the Date: header.
    SentBefore(Date),
    SentOn(Date),
    SentSince(Date),
    Larger(u64),
    Smaller(u64),
    /// RFC 5032: internal date older / younger than this many seconds.
    Older(u64),
    Younger(u64),
    /// RFC 7162 `MODSEQ [entry-name entry-type] n`; the entry is accepted
    /// and ignored (per-flag modseqs are not kept).
    ModSeq(u64),
    /// RFC 8474.
    EmailId(String),
    ThreadId(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub reverse: bool,
    pub criterion: SortCriterion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortCriterion {
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
    /// RFC 5957 SORT=DISPLAY.
    DisplayFrom,
    DisplayTo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    OrderedSubject,
    References,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttr {
    Envelope,
    Flags,
    InternalDate,
    Rfc822Size,
    /// `RFC822` = `BODY[]`, but answered as `RFC822` and sets \Seen.
    Rfc822,
    /// `RFC822.HEADER` = `BODY.PEEK[HEADER]`, answered as `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.TEXT` = `BODY[TEXT]`, answered as `RFC822.TEXT`.
    Rfc822Text,
    /// `BODY` (non-extensible BODYSTRUCTURE).
    Body,
    BodyStructure,
    Uid,
    BodySection {
        peek: bool,
        section: Section,
        partial: Option<Partial>,
    },
    /// RFC 3516 `BINARY[1.2]<0.100>` / `BINARY.PEEK[...]`.
    Binary {
        peek: bool,
        part: Vec<u32>,
        partial: Option<Partial>,
    },
    BinarySize(Vec<u32>),
    ModSeq,
    EmailId,
    ThreadId,
}

/// `<offset.count>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    pub offset: u32,
    pub count: u32,
}

/// `[1.2.HEADER.FIELDS (From To)]`: a part path (empty = the message) and
/// which bytes of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub part: Vec<u32>,
    pub text: Option<SectionText>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    Header,
    /// Field names as sent (case kept, for echoing in the response).
    HeaderFields(Vec<String>),
    HeaderFieldsNot(Vec<String>),
    Text,
    Mime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    Replace,
    Add,
    Remove,
}
