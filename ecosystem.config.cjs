// pm2 process file for a Dojo miner and validator: `pm2 start ecosystem.config.cjs --only dojo-miner`
// (or dojo-validator). Edit the flags for your wallet and subnet; secrets go in the environment or .env
// (Bun loads .env from the working directory), never in this file.
module.exports = {
  apps: [
    {
      name: "dojo-miner",
      script: "bun",
      args: [
        "run", "src/programs/miner.ts",
        "--netuid", "1",
        "--subtensor.network", "finney",
        "--wallet.name", "miner",
        "--wallet.hotkey", "default",
        "--axon.port", "9599",
        "--scoring_method", "hf_model",
        "--model_name", "./reward-model",
        "--logging.json"
      ],
      interpreter: "none",
      autorestart: true,
      max_restarts: 50,
      restart_delay: 5000,
      kill_timeout: 10000
    },
    {
      name: "dojo-validator",
      script: "bun",
      args: [
        "run", "src/programs/validator.ts",
        "--netuid", "1",
        "--subtensor.network", "finney",
        "--wallet.name", "validator",
        "--wallet.hotkey", "default",
        "--axon.port", "9500",
        "--api.port", "1888",
        "--logging.json"
      ],
      interpreter: "none",
      autorestart: true,
      max_restarts: 50,
      restart_delay: 5000,
      // Give the validator time to finish its current transaction on SIGTERM (it is restart-safe anyway).
      kill_timeout: 15000
    }
  ]
}
