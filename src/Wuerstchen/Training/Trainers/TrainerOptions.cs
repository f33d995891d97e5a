using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>Which EMA rule runs after each update (SPEC §7.2 authors', §7.5 diffusers').</summary>
public enum EmaMode { None, Authors, Diffusers }

/// <summary>EMA settings. The authors' rule: every <see cref="Every"/> updates, a copy before <see cref="Start"/>, then ema·β + p·(1 − β).</summary>
public sealed record EmaOptions(EmaMode Mode = EmaMode.None, int Every = 100, long Start = 5000, double Beta = 0.9, double MaxDecay = 0.9999)
{
    public static EmaOptions Off { get; } = new();

    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown EMA mode.");
        if (Every < 1) throw new ArgumentOutOfRangeException(nameof(Every), Every, "The EMA interval must be at least 1 update.");
        if (Start < 0) throw new ArgumentOutOfRangeException(nameof(Start), Start, "The EMA start must be ≥ 0.");
        if (!(Beta is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "The EMA β must be in [0, 1).");
        if (!(MaxDecay is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MaxDecay), MaxDecay, "The EMA max decay must be in [0, 1].");
    }
}

/// <summary>What the learning rate does after the warm-up: stay (the authors'), or fall to 0 at the last update.</summary>
public enum LrDecay { Constant, Cosine, Linear }

/// <summary>
/// The loop's settings; defaults are the authors' Stage C recipe scaled to a short run (AdamW lr 1e-4 with torch's
/// betas and weight decay 0.01, constant after the warm-up, gradient clipping at 1.0).
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Folder for checkpoints, <c>train_log.jsonl</c> and the final model.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Total optimiser updates of the run (a resumed run continues up to this number).</summary>
    public required long Steps { get; init; }

    public int BatchSize { get; init; } = 4;
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Linear warm-up from 0 over this many updates, then constant (the authors' GradualWarmupScheduler).</summary>
    public long WarmupSteps { get; init; }

    /// <summary>After the warm-up: constant, or a cosine / linear fall to 0 at <see cref="Steps"/> (a resumed run keeps the same curve).</summary>
    public LrDecay Decay { get; init; } = LrDecay.Constant;

    /// <summary>The learning rate over the run's updates.</summary>
    public LrSchedule Schedule => Decay switch
    {
        LrDecay.Cosine => LrSchedule.CosineWithWarmup(LearningRate, WarmupSteps, Steps),
        LrDecay.Linear => LrSchedule.LinearWithWarmup(LearningRate, WarmupSteps, Steps),
        _ => LrSchedule.ConstantWithWarmup(LearningRate, WarmupSteps),
    };

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double WeightDecay { get; init; } = 0.01;
    public double AdamEps { get; init; } = 1e-8;

    /// <summary>Gradient-norm clip (torch clip_grad_norm_); 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    public EmaOptions Ema { get; init; } = EmaOptions.Off;

    /// <summary>Fixes data order, augmentation, noise, time steps and dropout draws (initialisation is seeded by the caller).</summary>
    public ulong Seed { get; init; }

    /// <summary>Write a checkpoint every N updates (0: only at the end, and when cancelled).</summary>
    public long CheckpointEvery { get; init; }

    /// <summary>Checkpoints kept on disk (the newest); 0 keeps all.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="OutputFolder"/> (start fresh if there is none).</summary>
    public bool Resume { get; init; }

    /// <summary>Report progress (callback and log line) every N updates.</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Precision of the exported weights (F32, F16, BF16); the training state is always F32.</summary>
    public SafeTensorsDType ExportDType { get; init; } = SafeTensorsDType.F32;

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(OutputFolder, nameof(OutputFolder));
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "A run needs at least one step.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be ≥ 0.");
        if (!Enum.IsDefined(Decay)) throw new ArgumentOutOfRangeException(nameof(Decay), Decay, "Unknown learning-rate decay.");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "Warm-up steps must be ≥ 0.");
        if (!(MaxGradNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), MaxGradNorm, "The clip norm must be ≥ 0.");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "The checkpoint interval must be ≥ 0.");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, "The log interval must be at least 1.");
        if (ExportDType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
            throw new ArgumentOutOfRangeException(nameof(ExportDType), ExportDType, "Weights are exported as F32, F16 or BF16.");
        Ema.Validate();
        new AdamWOptions(LearningRate, Beta1, Beta2, AdamEps, WeightDecay).Validate();
    }
}
