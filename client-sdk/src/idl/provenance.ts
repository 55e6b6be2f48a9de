/**
 * Program IDL in camelCase format in order to be used in JS/TS.
 *
 * Note that this is only a type helper and is not the actual IDL. The original
 * IDL can be found at `target/idl/provenance.json`.
 *
 * generated — do not edit. Regenerate with `npm run gen:onchain`.
 */
export type Provenance = {
  "address": "ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q",
  "metadata": {
    "name": "provenance",
    "version": "0.1.0",
    "spec": "0.1.0",
    "description": "Provenance rollup: verifies Groth16 batch proofs and keeps a hash-chained log of batch roots"
  },
  "instructions": [
    {
      "name": "acceptAdmin",
      "docs": [
        "The proposed admin: takes the admin role."
      ],
      "discriminator": [
        112,
        42,
        45,
        90,
        116,
        181,
        13,
        170
      ],
      "accounts": [
        {
          "name": "newAdmin",
          "signer": true
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        }
      ],
      "args": []
    },
    {
      "name": "initAccumulator",
      "docs": [
        "Admin: creates the `Accumulator` of a deployment initialized before it existed (leaf 0",
        "is batch `Config.next_index`)."
      ],
      "discriminator": [
        19,
        146,
        136,
        223,
        231,
        82,
        156,
        149
      ],
      "accounts": [
        {
          "name": "admin",
          "docs": [
            "Pays the accumulator's rent."
          ],
          "writable": true,
          "signer": true
        },
        {
          "name": "config",
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        },
        {
          "name": "accumulator",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  97,
                  99,
                  99,
                  117,
                  109,
                  117,
                  108,
                  97,
                  116,
                  111,
                  114
                ]
              }
            ]
          }
        },
        {
          "name": "systemProgram",
          "address": "11111111111111111111111111111111"
        }
      ],
      "args": []
    },
    {
      "name": "initialize",
      "docs": [
        "Creates `Config`, `BatchLog` and `Accumulator`; the signer, who must be the program's upgrade",
        "authority, becomes admin. Refuses a circuit whose verifying key is not compiled into",
        "this build, and a sequencer that is the admin."
      ],
      "discriminator": [
        175,
        175,
        109,
        31,
        13,
        152,
        155,
        237
      ],
      "accounts": [
        {
          "name": "admin",
          "docs": [
            "Becomes the admin; pays for both accounts. Must be the program's upgrade authority, so",
            "nobody can initialize a freshly deployed program before its deployer does."
          ],
          "writable": true,
          "signer": true
        },
        {
          "name": "programData",
          "docs": [
            "The program's ProgramData account (BPF upgradeable loader, PDA `[program id]`), which",
            "names the upgrade authority."
          ],
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  5,
                  219,
                  24,
                  207,
                  182,
                  104,
                  75,
                  158,
                  138,
                  9,
                  53,
                  48,
                  33,
                  119,
                  116,
                  252,
                  87,
                  210,
                  45,
                  191,
                  154,
                  191,
                  231,
                  16,
                  145,
                  101,
                  167,
                  142,
                  53,
                  188,
                  180,
                  207
                ]
              }
            ],
            "program": {
              "kind": "const",
              "value": [
                2,
                168,
                246,
                145,
                78,
                136,
                161,
                176,
                226,
                16,
                21,
                62,
                247,
                99,
                174,
                43,
                0,
                194,
                185,
                61,
                22,
                193,
                36,
                210,
                192,
                83,
                122,
                16,
                4,
                128,
                0,
                0
              ]
            }
          }
        },
        {
          "name": "config",
          "docs": [
            "`init` makes a second `initialize` fail: the PDA already exists."
          ],
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        },
        {
          "name": "batchLog",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  98,
                  97,
                  116,
                  99,
                  104,
                  95,
                  108,
                  111,
                  103
                ]
              }
            ]
          }
        },
        {
          "name": "accumulator",
          "docs": [
            "The accumulator of every batch from batch 0 on."
          ],
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  97,
                  99,
                  99,
                  117,
                  109,
                  117,
                  108,
                  97,
                  116,
                  111,
                  114
                ]
              }
            ]
          }
        },
        {
          "name": "systemProgram",
          "address": "11111111111111111111111111111111"
        }
      ],
      "args": [
        {
          "name": "circuit",
          "type": {
            "defined": {
              "name": "circuit"
            }
          }
        },
        {
          "name": "sequencer",
          "type": "pubkey"
        },
        {
          "name": "registryRoot",
          "type": {
            "array": [
              "u8",
              32
            ]
          }
        }
      ]
    },
    {
      "name": "proposeAdmin",
      "docs": [
        "Admin: names its successor, who takes over with `accept_admin`."
      ],
      "discriminator": [
        121,
        214,
        199,
        212,
        87,
        39,
        117,
        234
      ],
      "accounts": [
        {
          "name": "admin",
          "signer": true,
          "relations": [
            "config"
          ]
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        }
      ],
      "args": [
        {
          "name": "newAdmin",
          "type": "pubkey"
        }
      ]
    },
    {
      "name": "setPaused",
      "docs": [
        "Admin: stops or resumes `submit_batch`."
      ],
      "discriminator": [
        91,
        60,
        125,
        192,
        176,
        225,
        166,
        218
      ],
      "accounts": [
        {
          "name": "admin",
          "signer": true,
          "relations": [
            "config"
          ]
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        }
      ],
      "args": [
        {
          "name": "paused",
          "type": "bool"
        }
      ]
    },
    {
      "name": "setRegistryRoot",
      "docs": [
        "Admin: stages a new node-registry root (current once a batch uses it), or, retiring",
        "every previous root, makes it current at once."
      ],
      "discriminator": [
        87,
        159,
        189,
        27,
        56,
        213,
        132,
        6
      ],
      "accounts": [
        {
          "name": "admin",
          "signer": true,
          "relations": [
            "config"
          ]
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        }
      ],
      "args": [
        {
          "name": "newRoot",
          "type": {
            "array": [
              "u8",
              32
            ]
          }
        },
        {
          "name": "registryVersion",
          "type": "u64"
        },
        {
          "name": "retirePrevious",
          "type": "bool"
        }
      ]
    },
    {
      "name": "setSequencer",
      "docs": [
        "Admin: replaces the key allowed to submit batches."
      ],
      "discriminator": [
        69,
        210,
        93,
        9,
        44,
        230,
        78,
        22
      ],
      "accounts": [
        {
          "name": "admin",
          "signer": true,
          "relations": [
            "config"
          ]
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        }
      ],
      "args": [
        {
          "name": "newSequencer",
          "type": "pubkey"
        }
      ]
    },
    {
      "name": "submitBatch",
      "docs": [
        "Sequencer: appends batch `index` once its Groth16 proof verifies against the key of",
        "`shape` (0: the chunk shape, 1: the single shape) of `Config.circuit`'s family."
      ],
      "discriminator": [
        219,
        171,
        120,
        113,
        27,
        245,
        80,
        20
      ],
      "accounts": [
        {
          "name": "sequencer",
          "signer": true
        },
        {
          "name": "config",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  99,
                  111,
                  110,
                  102,
                  105,
                  103
                ]
              }
            ]
          }
        },
        {
          "name": "batchLog",
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  98,
                  97,
                  116,
                  99,
                  104,
                  95,
                  108,
                  111,
                  103
                ]
              }
            ]
          }
        },
        {
          "name": "accumulator",
          "docs": [
            "Gets the batch's leaf appended (created by `initialize`, or `init_accumulator` on a",
            "deployment that predates it)."
          ],
          "writable": true,
          "pda": {
            "seeds": [
              {
                "kind": "const",
                "value": [
                  97,
                  99,
                  99,
                  117,
                  109,
                  117,
                  108,
                  97,
                  116,
                  111,
                  114
                ]
              }
            ]
          }
        }
      ],
      "args": [
        {
          "name": "index",
          "type": "u64"
        },
        {
          "name": "registryRoot",
          "type": {
            "array": [
              "u8",
              32
            ]
          }
        },
        {
          "name": "batchRoot",
          "type": {
            "array": [
              "u8",
              32
            ]
          }
        },
        {
          "name": "count",
          "type": "u32"
        },
        {
          "name": "minTs",
          "type": "u64"
        },
        {
          "name": "maxTs",
          "type": "u64"
        },
        {
          "name": "proofA",
          "type": {
            "array": [
              "u8",
              64
            ]
          }
        },
        {
          "name": "proofB",
          "type": {
            "array": [
              "u8",
              128
            ]
          }
        },
        {
          "name": "proofC",
          "type": {
            "array": [
              "u8",
              64
            ]
          }
        },
        {
          "name": "shape",
          "type": "u8"
        }
      ]
    }
  ],
  "accounts": [
    {
      "name": "accumulator",
      "discriminator": [
        164,
        66,
        91,
        139,
        158,
        26,
        63,
        105
      ]
    },
    {
      "name": "batchLog",
      "discriminator": [
        26,
        69,
        38,
        134,
        132,
        11,
        186,
        78
      ]
    },
    {
      "name": "config",
      "discriminator": [
        155,
        12,
        170,
        224,
        30,
        250,
        204,
        130
      ]
    }
  ],
  "events": [
    {
      "discriminator": [
        133,
        37,
        255,
        29,
        118,
        177,
        70,
        200
      ],
      "name": "accumulatorAppended"
    },
    {
      "discriminator": [
        180,
        138,
        241,
        166,
        153,
        163,
        62,
        70
      ],
      "name": "accumulatorInitialized"
    },
    {
      "discriminator": [
        232,
        34,
        31,
        226,
        62,
        18,
        19,
        114
      ],
      "name": "adminChanged"
    },
    {
      "discriminator": [
        129,
        249,
        226,
        227,
        199,
        82,
        110,
        243
      ],
      "name": "adminProposed"
    },
    {
      "discriminator": [
        144,
        55,
        16,
        105,
        136,
        253,
        225,
        90
      ],
      "name": "batchSubmitted"
    },
    {
      "discriminator": [
        12,
        10,
        153,
        247,
        60,
        115,
        137,
        69
      ],
      "name": "pausedChanged"
    },
    {
      "discriminator": [
        44,
        5,
        98,
        230,
        156,
        62,
        172,
        170
      ],
      "name": "registryRootChanged"
    },
    {
      "discriminator": [
        130,
        150,
        240,
        189,
        20,
        210,
        168,
        17
      ],
      "name": "registryRootStaged"
    },
    {
      "discriminator": [
        173,
        121,
        132,
        83,
        102,
        240,
        50,
        229
      ],
      "name": "sequencerChanged"
    }
  ],
  "errors": [
    {
      "code": 6000,
      "name": "unauthorized",
      "msg": "only the admin recorded in Config may do this"
    },
    {
      "code": 6001,
      "name": "notSequencer",
      "msg": "only the sequencer recorded in Config may submit batches"
    },
    {
      "code": 6002,
      "name": "paused",
      "msg": "the program is paused: submit_batch is refused until the admin unpauses it"
    },
    {
      "code": 6003,
      "name": "wrongBatchIndex",
      "msg": "batch index is not the next one expected by Config.next_index"
    },
    {
      "code": 6004,
      "name": "unknownRegistryRoot",
      "msg": "registry root is neither the current one nor a recent one within the grace period"
    },
    {
      "code": 6005,
      "name": "timestampInFuture",
      "msg": "max_ts is later than the cluster clock plus MAX_CLOCK_SKEW_MS"
    },
    {
      "code": 6006,
      "name": "invalidTimeWindow",
      "msg": "min_ts must not be greater than max_ts"
    },
    {
      "code": 6007,
      "name": "invalidCount",
      "msg": "count must be between 1 and the batch capacity of the circuit"
    },
    {
      "code": 6008,
      "name": "nonCanonicalFieldElement",
      "msg": "a field element (registry_root or batch_root) is not below the BN254 scalar modulus"
    },
    {
      "code": 6009,
      "name": "proofVerificationFailed",
      "msg": "the Groth16 proof does not verify against the public inputs and the verifying key"
    },
    {
      "code": 6010,
      "name": "circuitKeyNotCompiled",
      "msg": "the verifying key of this circuit is not compiled into this build of the program"
    },
    {
      "code": 6011,
      "name": "poseidonFailed",
      "msg": "Poseidon hashing of the public inputs failed"
    },
    {
      "code": 6012,
      "name": "counterOverflow",
      "msg": "an on-chain counter would overflow"
    },
    {
      "code": 6013,
      "name": "registryRootUnchanged",
      "msg": "the new registry root is the current one"
    },
    {
      "code": 6014,
      "name": "registryVersionNotNewer",
      "msg": "registry_version must be greater than Config.registry_version and than a staged root's version"
    },
    {
      "code": 6015,
      "name": "notUpgradeAuthority",
      "msg": "initialize must be signed by the program's upgrade authority (its ProgramData account)"
    },
    {
      "code": 6016,
      "name": "adminIsSequencer",
      "msg": "the admin and the sequencer must be different keys: the sequencer's hot key must not hold the admin's powers"
    },
    {
      "code": 6017,
      "name": "notPendingAdmin",
      "msg": "only the key the admin proposed (Config.pending_admin) may accept the admin role"
    },
    {
      "code": 6018,
      "name": "accumulatorFull",
      "msg": "the accumulator holds 2^32 batches and is full"
    },
    {
      "code": 6019,
      "name": "accumulatorOutOfStep",
      "msg": "the accumulator is out of step with Config.next_index (start_index + size must equal the batch index)"
    },
    {
      "code": 6020,
      "name": "unknownCircuitShape",
      "msg": "unknown circuit shape: 0 (chunk shape) and 1 (single shape) are the shapes of a circuit family"
    }
  ],
  "types": [
    {
      "name": "accumulator",
      "docs": [
        "Append-only Merkle accumulator of every batch since `start_index`, PDA `[\"accumulator\"]`:",
        "a fixed-depth (32) SHA-256 tree whose leaf `k` is batch `start_index + k` (see",
        "`accumulator_leaf`), kept as its frontier (the left siblings of the next leaf's path), its",
        "current root and size, and a ring of the last `ACCUMULATOR_ROOT_HISTORY` roots with their",
        "sizes. A path from a batch's leaf to any root in the ring verifies with one read of this",
        "account; a path to an older root is refreshed (recomputed from the batch statements, which",
        "anyone may serve) to a root still in the ring. Design and costs: `docs/on-chain.md`.",
        "",
        "Zero-copy: `submit_batch` updates ~1 KiB in place instead of (de)serializing 3.7 KiB."
      ],
      "serialization": "bytemuck",
      "repr": {
        "kind": "c"
      },
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "size",
            "docs": [
              "Leaves appended so far (batches since `start_index`)."
            ],
            "type": "u64"
          },
          {
            "name": "startIndex",
            "docs": [
              "The batch index of leaf 0: 0 for a program initialized with the accumulator, else",
              "`Config.next_index` when `init_accumulator` migrated the deployment."
            ],
            "type": "u64"
          },
          {
            "name": "root",
            "docs": [
              "Root of the tree of the first `size` leaves (the empty tree's root while `size == 0`)."
            ],
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "frontier",
            "docs": [
              "`frontier[l]`: the root of the last complete left subtree at level `l` (valid where bit",
              "`l` of `size` is 1)."
            ],
            "type": {
              "array": [
                {
                  "array": [
                    "u8",
                    32
                  ]
                },
                32
              ]
            }
          },
          {
            "name": "recent",
            "docs": [
              "Ring of recent roots: the root after `size = s` leaves is in slot `(s - 1) % 64`."
            ],
            "type": {
              "array": [
                {
                  "defined": {
                    "name": "accumulatorRoot"
                  }
                },
                64
              ]
            }
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "padding",
            "type": {
              "array": [
                "u8",
                7
              ]
            }
          }
        ]
      }
    },
    {
      "docs": [
        "Emitted by `submit_batch` after the batch's leaf was appended to the accumulator: the new",
        "root and size (the root is also in `Accumulator.recent` for the next 63 batches)."
      ],
      "name": "accumulatorAppended",
      "type": {
        "fields": [
          {
            "name": "index",
            "type": "u64"
          },
          {
            "name": "leaf",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "size",
            "type": "u64"
          },
          {
            "name": "root",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          }
        ],
        "kind": "struct"
      }
    },
    {
      "docs": [
        "`init_accumulator` created the accumulator of an existing deployment; leaf 0 is batch",
        "`start_index` (earlier batches are checked through the BatchLog ring or the hash chain)."
      ],
      "name": "accumulatorInitialized",
      "type": {
        "fields": [
          {
            "name": "startIndex",
            "type": "u64"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "name": "accumulatorRoot",
      "docs": [
        "One recent accumulator root and the tree size it commits to (`size == 0`: an empty slot)."
      ],
      "serialization": "bytemuck",
      "repr": {
        "kind": "c"
      },
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "root",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "size",
            "type": "u64"
          }
        ]
      }
    },
    {
      "docs": [
        "The proposed key accepted the admin role."
      ],
      "name": "adminChanged",
      "type": {
        "fields": [
          {
            "name": "previousAdmin",
            "type": "pubkey"
          },
          {
            "name": "newAdmin",
            "type": "pubkey"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "docs": [
        "The admin proposed a successor (`pending_admin`; `Pubkey::default()` withdraws a proposal)."
      ],
      "name": "adminProposed",
      "type": {
        "fields": [
          {
            "name": "admin",
            "type": "pubkey"
          },
          {
            "name": "pendingAdmin",
            "type": "pubkey"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "name": "batchLog",
      "docs": [
        "Ring buffer of the most recent batch roots, PDA `[\"batch_log\"]`. Batch `i` lives in slot",
        "`i % BATCH_LOG_CAPACITY` while `i + BATCH_LOG_CAPACITY > next_index`; one account read",
        "answers \"what is the root of batch i\" for the last `BATCH_LOG_CAPACITY` batches. The full",
        "history is in the `BatchSubmitted` events and the `submit_batch` instruction data.",
        "",
        "Zero-copy: `submit_batch` writes 32 bytes in place instead of (de)serializing 8 KiB."
      ],
      "serialization": "bytemuck",
      "repr": {
        "kind": "c"
      },
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "nextIndex",
            "docs": [
              "Equals `Config.next_index` after every instruction: batches `[next_index - min(next_index,",
              "capacity), next_index)` are present."
            ],
            "type": "u64"
          },
          {
            "name": "roots",
            "type": {
              "array": [
                {
                  "array": [
                    "u8",
                    32
                  ]
                },
                256
              ]
            }
          }
        ]
      }
    },
    {
      "docs": [
        "Emitted by `submit_batch`. Together with the instruction data of every `submit_batch`",
        "transaction it lets an auditor rebuild the whole hash chain from chain data alone."
      ],
      "name": "batchSubmitted",
      "type": {
        "fields": [
          {
            "name": "index",
            "type": "u64"
          },
          {
            "name": "batchRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "registryRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "count",
            "type": "u32"
          },
          {
            "name": "minTs",
            "type": "u64"
          },
          {
            "name": "maxTs",
            "type": "u64"
          },
          {
            "name": "prevHead",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "newHead",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "slot",
            "type": "u64"
          },
          {
            "name": "unixTimestamp",
            "type": "i64"
          },
          {
            "docs": [
              "The circuit shape whose key verified the proof (0: chunk shape, 1: single shape). Last,",
              "so the offsets of the fields before it are those of the event before shapes existed."
            ],
            "name": "shape",
            "type": "u8"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "name": "circuit",
      "docs": [
        "The circuit configurations of `circuits/circuits.json`. `Config` records which one it was",
        "initialized for; the verifying key and batch capacity come from `verifying_key.rs`."
      ],
      "type": {
        "kind": "enum",
        "variants": [
          {
            "name": "test"
          },
          {
            "name": "dev"
          },
          {
            "name": "prod"
          }
        ]
      }
    },
    {
      "name": "config",
      "docs": [
        "The program's single configuration and chain-state account, PDA `[\"config\"]`."
      ],
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "admin",
            "type": "pubkey"
          },
          {
            "name": "sequencer",
            "type": "pubkey"
          },
          {
            "name": "circuit",
            "docs": [
              "The circuit whose verifying key checks every proof; fixed at `initialize`."
            ],
            "type": {
              "defined": {
                "name": "circuit"
              }
            }
          },
          {
            "name": "batchCapacity",
            "docs": [
              "Batch capacity of that circuit (2^batchLevels), copied at `initialize`."
            ],
            "type": "u32"
          },
          {
            "name": "registryRoot",
            "docs": [
              "Current root of the node registry tree (BN254 field element, big-endian)."
            ],
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "registryVersion",
            "docs": [
              "Version of `registry_root` in the registry's history (the sequencer's count of registry",
              "operations; 0 at `initialize`). Only ever increases: an old root cannot be restored."
            ],
            "type": "u64"
          },
          {
            "name": "recentRoots",
            "docs": [
              "Superseded registry roots, most recent at `recent_roots_next - 1` (ring)."
            ],
            "type": {
              "array": [
                {
                  "defined": {
                    "name": "recentRegistryRoot"
                  }
                },
                8
              ]
            }
          },
          {
            "name": "recentRootsNext",
            "docs": [
              "Next slot of the `recent_roots` ring."
            ],
            "type": "u8"
          },
          {
            "name": "stagedRegistryRoot",
            "docs": [
              "A registry root the admin published to become current with the first batch proven",
              "against it (`submit_batch` promotes it), so the current root never moves past batches",
              "still sealed under it. All zero with `staged_at == 0` when nothing is staged."
            ],
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "stagedRegistryVersion",
            "docs": [
              "Version of `staged_registry_root`; above `registry_version`."
            ],
            "type": "u64"
          },
          {
            "name": "stagedAt",
            "docs": [
              "When the root was staged (cluster unix time, seconds); 0 when nothing is staged."
            ],
            "type": "i64"
          },
          {
            "name": "pendingAdmin",
            "docs": [
              "The key the admin proposed as its successor (`propose_admin`); it becomes admin when it",
              "signs `accept_admin`. `Pubkey::default()` when there is no proposal."
            ],
            "type": "pubkey"
          },
          {
            "name": "chainHead",
            "docs": [
              "Head of the hash chain of batches; 32 zero bytes before the first batch."
            ],
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "nextIndex",
            "docs": [
              "Index the next accepted batch must carry; also the number of batches accepted so far."
            ],
            "type": "u64"
          },
          {
            "name": "totalRecords",
            "docs": [
              "Sum of `count` over all accepted batches."
            ],
            "type": "u64"
          },
          {
            "name": "paused",
            "type": "bool"
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "batchLogBump",
            "type": "u8"
          }
        ]
      }
    },
    {
      "name": "pausedChanged",
      "type": {
        "fields": [
          {
            "name": "paused",
            "type": "bool"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "name": "recentRegistryRoot",
      "docs": [
        "A registry root that was current until `replaced_at` (cluster unix time, seconds).",
        "`replaced_at == 0` marks an empty slot."
      ],
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "root",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "replacedAt",
            "type": "i64"
          }
        ]
      }
    },
    {
      "docs": [
        "The current registry root changed: an emergency `set_registry_root` (`retired_previous`),",
        "or the first batch proven against the staged root landed (`promoted_by_batch`)."
      ],
      "name": "registryRootChanged",
      "type": {
        "fields": [
          {
            "name": "previousRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "newRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "previousVersion",
            "type": "u64"
          },
          {
            "name": "newVersion",
            "type": "u64"
          },
          {
            "name": "retiredPrevious",
            "type": "bool"
          },
          {
            "name": "promotedByBatch",
            "type": {
              "option": "u64"
            }
          },
          {
            "name": "unixTimestamp",
            "type": "i64"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "docs": [
        "The admin staged a registry root (`set_registry_root` without `retire_previous`). A root",
        "staged before and not yet promoted is replaced (`replaced_staged_version` is then its",
        "version, else 0)."
      ],
      "name": "registryRootStaged",
      "type": {
        "fields": [
          {
            "name": "root",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "version",
            "type": "u64"
          },
          {
            "name": "currentRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "currentVersion",
            "type": "u64"
          },
          {
            "name": "replacedStagedRoot",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "replacedStagedVersion",
            "type": "u64"
          },
          {
            "name": "unixTimestamp",
            "type": "i64"
          }
        ],
        "kind": "struct"
      }
    },
    {
      "name": "sequencerChanged",
      "type": {
        "fields": [
          {
            "name": "previousSequencer",
            "type": "pubkey"
          },
          {
            "name": "newSequencer",
            "type": "pubkey"
          }
        ],
        "kind": "struct"
      }
    }
  ],
  "constants": [
    {
      "name": "accumulatorDepth",
      "docs": [
        "Depth of the accumulator tree: room for 2^32 batches."
      ],
      "type": "u8",
      "value": "32"
    },
    {
      "name": "accumulatorLeafDomain",
      "docs": [
        "Domain separator of an accumulator leaf:",
        "`leaf = sha256(ACCUMULATOR_LEAF_DOMAIN || index u64 BE || batch_root || registry_root ||",
        "count u32 BE || min_ts u64 BE || max_ts u64 BE)`; an inner node is",
        "`sha256(0x01 || left || right)`, an empty leaf 32 zero bytes."
      ],
      "type": "bytes",
      "value": "[112, 114, 111, 118, 101, 110, 97, 110, 99, 101, 46, 97, 99, 99, 46, 108, 101, 97, 102, 46, 118, 49]"
    },
    {
      "name": "accumulatorRootHistory",
      "docs": [
        "How many recent accumulator roots (with their sizes) the `Accumulator` account keeps. A path",
        "to any of them verifies with one account read; an older one is refreshed to a newer root."
      ],
      "type": "u64",
      "value": "64"
    },
    {
      "name": "accumulatorSeed",
      "docs": [
        "Seed of the `Accumulator` PDA (append-only Merkle tree of every batch): `[\"accumulator\"]`."
      ],
      "type": "bytes",
      "value": "[97, 99, 99, 117, 109, 117, 108, 97, 116, 111, 114]"
    },
    {
      "name": "batchChainDomain",
      "docs": [
        "Domain separator of the hash chain of batches:",
        "`new_head = sha256(BATCH_CHAIN_DOMAIN || prev_head || index u64 BE || batch_root ||",
        "registry_root || count u32 BE || min_ts u64 BE || max_ts u64 BE)`."
      ],
      "type": "bytes",
      "value": "[112, 114, 111, 118, 101, 110, 97, 110, 99, 101, 46, 98, 97, 116, 99, 104, 46, 118, 49]"
    },
    {
      "name": "batchLogCapacity",
      "docs": [
        "How many batch roots the `BatchLog` ring buffer keeps (one account read answers \"what is",
        "the root of batch i\" for the last `BATCH_LOG_CAPACITY` batches)."
      ],
      "type": "u64",
      "value": "256"
    },
    {
      "name": "batchLogSeed",
      "docs": [
        "Seed of the `BatchLog` PDA (ring buffer of recent batch roots): `[\"batch_log\"]`."
      ],
      "type": "bytes",
      "value": "[98, 97, 116, 99, 104, 95, 108, 111, 103]"
    },
    {
      "name": "configSeed",
      "docs": [
        "Seed of the `Config` PDA: `[\"config\"]`."
      ],
      "type": "bytes",
      "value": "[99, 111, 110, 102, 105, 103]"
    },
    {
      "name": "maxClockSkewMs",
      "docs": [
        "How far `max_ts` (ms) may run ahead of the cluster clock (`unix_timestamp * 1000`). The",
        "cluster clock is a stake-weighted estimate that can lag wall-clock time by tens of seconds,",
        "and it has one-second resolution."
      ],
      "type": "u64",
      "value": "120000"
    },
    {
      "name": "registryRootGraceSecs",
      "docs": [
        "A superseded registry root is accepted for this long after it was replaced (seconds of",
        "cluster time). Bounds how long a revoked node's records can still be anchored."
      ],
      "type": "i64",
      "value": "3600"
    },
    {
      "name": "registryRootHistory",
      "docs": [
        "How many superseded registry roots `Config` remembers, so that batches proven just before",
        "a registry change still land."
      ],
      "type": "u8",
      "value": "8"
    }
  ]
};
