using System.CommandLine;

namespace Wuerstchen.Cli.Commands;

/// <summary>The options of <c>wuerstchen train &lt;stage&gt;</c>: the loop's (shared by every stage) and each stage's own.</summary>
public sealed class TrainOptions
{
    // ---------------------------------------------------------------- data and output
    public Option<string> Data { get; } = new("--data") { Description = "Image-caption folder: *.png with *.txt captions or metadata.jsonl (e.g. from 'make-dataset shapes').", Required = true };
    public Option<string> Output { get; } = new("--output", "-o") { Description = "Folder for checkpoints (checkpoint-NNNNNN/), train_log.jsonl and the final model.", Required = true };
    public Option<int> Resolution { get; } = new("--resolution") { Description = "Training image side: shorter side resized to it, then centre-cropped.", DefaultValueFactory = _ => 256 };
    public Option<bool> RandomFlip { get; } = new("--random-flip") { Description = "Mirror images left–right with probability 1/2 (seeded)." };
    public Option<string> OnBadSample { get; } = new("--on-bad-sample") { Description = "An unreadable image or missing caption: 'skip' (report the file and go on) or 'stop' (fail, naming the file).", DefaultValueFactory = _ => "skip" };

    // ---------------------------------------------------------------- loop
    public Option<long> Steps { get; } = new("--steps") { Description = "Total optimiser updates (a resumed run continues up to this number).", DefaultValueFactory = _ => 1000 };
    public Option<int> Batch { get; } = new("--batch") { Description = "Images per update.", DefaultValueFactory = _ => 4 };
    public Option<double> Lr { get; } = new("--lr") { Description = "AdamW learning rate after the warm-up.", DefaultValueFactory = _ => 1e-4 };
    public Option<long> Warmup { get; } = new("--warmup") { Description = "Linear learning-rate warm-up from 0 over N updates, then constant.", DefaultValueFactory = _ => 0 };
    public Option<string> LrSchedule { get; } = new("--lr-schedule") { Description = "After the warm-up: 'constant', or 'cosine' / 'linear' decay to 0 at the last update.", DefaultValueFactory = _ => "constant" };
    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW decoupled weight decay.", DefaultValueFactory = _ => 0.01 };
    public Option<double> Beta2 { get; } = new("--adam-beta2") { Description = "AdamW β2 (β1 is 0.9).", DefaultValueFactory = _ => 0.999 };
    public Option<double> ClipNorm { get; } = new("--clip-grad-norm") { Description = "Clip the total gradient norm to this value (0: off).", DefaultValueFactory = _ => 1.0 };
    public Option<string> Ema { get; } = new("--ema") { Description = "Weight averaging saved as the model: 'none', 'authors' (every --ema-every updates; a copy before --ema-start, then β = --ema-beta) or 'diffusers' (EMAModel decay).", DefaultValueFactory = _ => "none" };
    public Option<int> EmaEvery { get; } = new("--ema-every") { Description = "Authors' EMA: update interval.", DefaultValueFactory = _ => 100 };
    public Option<long> EmaStart { get; } = new("--ema-start") { Description = "Authors' EMA: plain copies before this update.", DefaultValueFactory = _ => 5000 };
    public Option<double> EmaBeta { get; } = new("--ema-beta") { Description = "Authors' EMA: β of ema·β + weights·(1 − β).", DefaultValueFactory = _ => 0.9 };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Fixes initialisation, data order, augmentation, noise, time steps and dropout: the same command gives the same weights.", DefaultValueFactory = _ => 0 };
    public Option<long> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Write a checkpoint every N updates (0: only at the end and when interrupted).", DefaultValueFactory = _ => 500 };
    public Option<int> KeepCheckpoints { get; } = new("--keep-checkpoints") { Description = "Newest checkpoints kept (0: all).", DefaultValueFactory = _ => 2 };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the newest checkpoint in --output (run the same command again with --resume)." };
    public Option<int> LogEvery { get; } = new("--log-every") { Description = "Progress line and train_log.jsonl entry every N updates.", DefaultValueFactory = _ => 10 };
    public Option<string> ExportDtype { get; } = new("--export-dtype") { Description = "Precision of the saved model weights: f32, f16 or bf16 (the training state is always f32).", DefaultValueFactory = _ => "f32" };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: all logical processors; results do not depend on it)." };

    // ---------------------------------------------------------------- models
    public Option<string> Init { get; } = new("--init") { Description = "Start from these weights: a pipeline folder (or the component folder) of the stage being trained. Without it the model is trained from scratch (SPEC initialisation, seeded)." };
    public Option<string> Config { get; } = new("--config") { Description = "config.json of the model to train from scratch (diffusers format)." };
    public Option<string> TextEncoder { get; } = new("--text-encoder") { Description = "Pipeline folder with text_encoder/ and tokenizer/ (default: the --init folder)." };
    public Option<bool> TrainTextEncoder { get; } = new("--train-text-encoder") { Description = "Train the CLIP text encoder jointly (frozen by default)." };
    public Option<string> Effnet { get; } = new("--effnet") { Description = "Semantic compressor folder (effnet/ with config.json, as Stage B training writes it)." };
    public Option<string> Recipe { get; } = new("--recipe") { Description = "Stage C loss: 'authors' (p2-weighted, t warp, caption dropout 0.05, 3/4 downscale for the compressor) or 'diffusers' (plain MSE, t ~ U[0,1))." , DefaultValueFactory = _ => "authors" };
    public Option<string> LatentCache { get; } = new("--latent-cache") { Description = "Stage C / LoRA / Stage B with --freeze-effnet: encode every image once with the frozen encoders (compressor; for Stage B also Stage A) into this folder and train on the cached latents (rebuilt when the images, encoders or resolution change)." };
    public Option<double?> LatentMean { get; } = new("--latent-mean") { Description = "Stage C / LoRA: latent_mean of the prior's latents, x0 = (effnet + latent_std) / latent_mean (default: the --init prior's model_index.json, else 42 as released; 1 for a compressor trained from scratch, whose BatchNorm output already has unit variance)." };
    public Option<double?> LatentStd { get; } = new("--latent-std") { Description = "Stage C / LoRA: latent_std (default: the --init prior's, else 1 as released; 0 with --latent-mean 1)." };
    public Option<double> CaptionDropout { get; } = new("--caption-dropout") { Description = "Probability that a whole batch trains on empty captions (classifier-free guidance).", DefaultValueFactory = _ => 0.05 };
    public Option<double> EffnetDropout { get; } = new("--effnet-dropout") { Description = "Stage B: probability that a whole batch trains with zeroed image embeddings (the decoder's unconditional input; with it Stage B must draw from the caption alone).", DefaultValueFactory = _ => 0.05 };
    public Option<double> ObjectLossWeight { get; } = new("--object-loss-weight") { Description = "Stage B on a shapes dataset: latent pixels inside an object's box (metadata.jsonl) weigh 1 + W in the loss (normalised per image); 0 (the default) is the released recipe.", DefaultValueFactory = _ => 0.0 };
    public Option<string> RedrawnEmbeddings { get; } = new("--redrawn-embeddings") { Description = "Stage B with --freeze-effnet: a bank of the dataset's embeddings re-drawn by a prior from their captions ('redraw-embeddings'); each sample's features are replaced by its re-drawing with probability --redrawn, so that Stage B learns to draw clean shapes from generated embeddings." };
    public Option<double> Redrawn { get; } = new("--redrawn") { Description = "Stage B: per-sample probability of using the --redrawn-embeddings entry instead of the true features.", DefaultValueFactory = _ => 0.5 };
    public Option<double> EffnetCoarsen { get; } = new("--effnet-coarsen") { Description = "Stage B: probability that a batch's image embeddings are blurred (halved in size and resized back), so that Stage B reads the shape from the features and the caption rather than from the outline; 0 (the default) is the released recipe.", DefaultValueFactory = _ => 0.0 };

    // Stage C from scratch: the prior's size (c_in and c_cond follow the compressor and the text encoder).
    public Option<int> PriorWidth { get; } = new("--width") { Description = "Stage C from scratch: channels c.", DefaultValueFactory = _ => 256 };
    public Option<int> PriorDepth { get; } = new("--depth") { Description = "Stage C from scratch: number of (ResBlock, TimestepBlock, AttnBlock) triples.", DefaultValueFactory = _ => 4 };
    public Option<int> PriorHeads { get; } = new("--heads") { Description = "Stage C from scratch: attention heads.", DefaultValueFactory = _ => 4 };

    // Stage B
    public Option<string> StageA { get; } = new("--stage-a") { Description = "Stage B and effnet: the frozen VQGAN (a vqgan/ folder or a pipeline folder holding one; default: the --init folder)." };
    public Option<string> EffnetConfig { get; } = new("--effnet-config") { Description = "Stage B without --effnet, and effnet without --init: a compressor trained from scratch, a preset (tiny, efficientnet_v2_s) or a config.json.", DefaultValueFactory = _ => "tiny" };
    public Option<string> LossWeight { get; } = new("--loss-weight") { Description = "Stages B and C: weighting of the ε loss over t: 'p2' (the recipe's: the authors' 1 − ᾱ), 'v' (1/ᾱ: the v-prediction loss, which makes the high-noise steps learn x0 from the conditioning) or 'uniform' (1: the plain ε-MSE, full weight for the low-noise steps that draw edges).", DefaultValueFactory = _ => "p2" };
    public Option<bool> FreezeEffnet { get; } = new("--freeze-effnet") { Description = "Stage B: keep the semantic compressor frozen (by default it trains jointly, SPEC §7.3)." };

    // Semantic compressor
    public Option<double> LabelWeight { get; } = new("--label-weight") { Description = "effnet on a shapes dataset: also classify each feature cell's object shape and colour from metadata.jsonl with linear probes, adding this weight times their cross-entropy (0: off).", DefaultValueFactory = _ => 0.0 };
    public Option<int> HeadWidth { get; } = new("--head-width") { Description = "effnet: channels of the latent reconstruction head trained with the compressor (a training aid, not part of any pipeline).", DefaultValueFactory = _ => 64 };

    // Text encoder (contrastive pre-training)
    public Option<int> EmbedDim { get; } = new("--embed-dim") { Description = "text-encoder: size of the shared text/image embedding space.", DefaultValueFactory = _ => 64 };
    public Option<int> ImageHeadWidth { get; } = new("--image-head-width") { Description = "text-encoder: hidden width of the MLP that embeds a Stage C latent (a training aid, not part of any pipeline).", DefaultValueFactory = _ => 256 };
    public Option<double> Temperature { get; } = new("--temperature") { Description = "text-encoder: the softmax temperature τ of the contrastive logits t·i/τ (CLIP starts at 0.07).", DefaultValueFactory = _ => 0.07 };

    // Stage A
    public Option<string> Reconstruction { get; } = new("--reconstruction") { Description = "Stage A reconstruction loss: mse or l1.", DefaultValueFactory = _ => "mse" };
    public Option<int> CodebookRestartEvery { get; } = new("--codebook-restart-every") { Description = "Stage A: every N updates, re-seed codebook rows no vector of the batch chose from the batch's encoder outputs (0: never).", DefaultValueFactory = _ => 0 };
    public Option<bool> NoCodebookInit { get; } = new("--no-codebook-init") { Description = "Stage A: keep the uniform codebook initialisation instead of seeding it from the first batch's encoder outputs." };

    // LoRA
    public Option<int> Rank { get; } = new("--rank") { Description = "LoRA rank.", DefaultValueFactory = _ => 4 };
    public Option<float?> Alpha { get; } = new("--alpha") { Description = "LoRA alpha (scale alpha/rank; default: the rank)." };
    public Option<string> LoraRecipe { get; } = new("--recipe") { Description = "LoRA loss: 'diffusers' (the LoRA script's plain MSE, t ~ U[0,1)) or 'authors' (p2-weighted, t warp, caption dropout).", DefaultValueFactory = _ => "diffusers" };

    public IEnumerable<Option> Shared => [Data, Output, Resolution, RandomFlip, OnBadSample, Steps, Batch, Lr, Warmup, LrSchedule, WeightDecay, Beta2, ClipNorm,
        Ema, EmaEvery, EmaStart, EmaBeta, Seed, CheckpointEvery, KeepCheckpoints, Resume, LogEvery, ExportDtype, Threads];
}
