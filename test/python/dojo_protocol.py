"""Dojo's three synapses as a Python operator declares them for the Bittensor SDK (pydantic v2).

Like the original Dojo classes they declare no `required_hash_fields`, so the SDK hashes no body
field. `model_config` cannot be a pydantic v2 field name: it is `model_config_` with that alias.
"""
import time
import uuid
from typing import Dict, List, Literal, Optional

import bittensor as bt
from pydantic import BaseModel, Field


class Completion(BaseModel):
    cid: str
    text: str


class Rank(BaseModel):
    cid: str
    score: float = 0.0


class ModelConfig(BaseModel):
    # The original's Provider enum.
    provider: Optional[Literal["togetherai", "openai"]] = None
    model_name: str


class RankingRequest(bt.Synapse):
    # As in the original: both have defaults, so they get no bt_header_input_obj_* header.
    epoch_timestamp: float = Field(default_factory=time.time)
    request_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    prompt: str
    n_completions: int
    completions: List[Completion]
    ranks: List[Rank] = []
    scoring_method: Optional[str] = None
    model_config_: Optional[ModelConfig] = Field(default=None, alias="model_config")
    mturk_hit_id: Optional[str] = None
    modality: str = "text"


class RankingResult(bt.Synapse):
    request_id: str
    cid_to_consensus: Dict[str, float]
    hotkey_to_score: Dict[str, float]


class AWSCredentials(BaseModel):
    access_key_id: str
    secret_access_key: str
    session_token: str
    access_expiration: str
    environment: str


class MTurkResponse(bt.Synapse):
    mturk_hit_id: str
    aws_credentials: Optional[AWSCredentials] = None
    completion_id_to_score: Dict[str, float]
