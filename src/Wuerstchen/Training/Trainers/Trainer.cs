using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Wuerstchen.Data;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Progress;

namespace Wuerstchen.Training.Trainers;

/// <summary>How a run ended.</summary>
public sealed record TrainingSummary(long Step, long ResumedFrom, bool Cancelled, string? LastCheckpoint, double LastLoss, TimeSpan Elapsed, IReadOnlyList<SkippedSample> Skipped);

/// <summary>
/// The training loop shared by every stage. Per update: next batch → <see cref="ITrainingObjective.Step"/>
/// (forward, loss, backward) → gradient clipping → AdamW at the scheduled learning rate → EMA → progress, and a
/// checkpoint every <see cref="TrainerOptions.CheckpointEvery"/> updates, at the end, and when cancelled.
/// <para>
/// Deterministic: data order and augmentation come from the dataset seed, every other draw from one
/// <see cref="DiffusionTrainingDraws"/> generator, and the kernels do not depend on the thread count, so the same
/// options give bit-identical weights. A checkpoint holds everything that state depends on (raw weights, AdamW
/// moments, EMA, the generator, the position in the epoch, skipped samples, the loss average), so a run resumed
/// from it reaches the same weights, bit for bit, as one that was never interrupted.
/// </para>
/// </summary>
public sealed class Trainer
{
    private readonly ITrainingObjective _objective;
    private readonly ImageCaptionDataset _dataset;

    public TrainerOptions Options { get; }

    /// <summary>Called every <see cref="TrainerOptions.LogEvery"/> updates (and after the last).</summary>
    public Action<TrainingProgress>? OnProgress { get; init; }

    /// <summary>Receives plain messages: resuming, checkpoints written.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Cached encoder outputs of the dataset (built for the same dataset instance): batches then carry latents
    /// instead of images, for objectives whose encoder is frozen (<see cref="StageCObjective.CacheEncoder"/>).
    /// </summary>
    public LatentCache? Latents { get; init; }

    public Trainer(ITrainingObjective objective, ImageCaptionDataset dataset, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (objective.Parameters.Count == 0) throw new ArgumentException($"{objective.Name}: nothing to train (no parameters).", nameof(objective));
        _objective = objective;
        _dataset = dataset;
        Options = options;
    }

    public TrainingSummary Run(CancellationToken cancellation = default)
    {
        var o = Options;
        var parameters = _objective.Parameters;
        foreach (var p in parameters) p.Value.RequiresGrad = true;

        using var optimizer = new AdamW(parameters, new AdamWOptions(o.LearningRate, o.Beta1, o.Beta2, o.AdamEps, o.WeightDecay));
        using var ema = o.Ema.Mode == EmaMode.None ? null : new ExponentialMovingAverage(parameters);
        var draws = new DiffusionTrainingDraws(o.Seed);
        var schedule = o.Schedule;
        var smoother = new LossSmoother();
        var position = new DataPosition();

        Directory.CreateDirectory(o.OutputFolder);
        CheckpointFolder.DeleteTemporaries(o.OutputFolder);
        long step = 0;
        var latest = CheckpointFolder.Latest(o.OutputFolder);
        if (latest is { } checkpoint && o.Resume)
        {
            step = Restore(checkpoint.Path, optimizer, ema, draws, smoother, position);
            Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"resuming from {checkpoint.Path} (step {step})"));
        }
        else if (latest is not null)
            throw new IOException($"Output folder '{o.OutputFolder}' already holds checkpoints (latest {latest.Value.Path}); resume the run or choose a new folder.");
        long resumedFrom = step;
        if (step >= o.Steps)
        {
            // A run killed between its last checkpoint and the final export finishes here: the restored weights (and
            // EMA) are the ones an uninterrupted run would have exported.
            Log?.Invoke($"the checkpoint is at step {step}, the run asks for {o.Steps}: exporting the final model only");
            ExportFinal(o, ema);
            return new TrainingSummary(step, resumedFrom, false, latest?.Path, double.NaN, TimeSpan.Zero, _dataset.Skipped);
        }

        var loader = new CaptionBatchLoader(_dataset, o.BatchSize, dropLast: true, Latents);
        using var log = TrainLog.Open(o.OutputFolder, step);
        var clock = Stopwatch.StartNew();
        string? lastCheckpoint = latest?.Path;
        long lastSaved = step;
        double lastLoss = double.NaN;
        IEnumerator<CaptionBatch>? epoch = null;
        try
        {
            while (step < o.Steps)
            {
                if (cancellation.IsCancellationRequested)
                {
                    if (step > lastSaved) lastCheckpoint = SaveCheckpoint(step, optimizer, ema, draws, smoother, position);
                    return new TrainingSummary(step, resumedFrom, true, lastCheckpoint, lastLoss, clock.Elapsed, _dataset.Skipped);
                }

                double lr = schedule.RateAt(step);
                optimizer.LearningRate = lr;
                StepResult result;
                using (var batch = NextBatch(loader, position, ref epoch))
                    result = _objective.Step(batch, new StepContext(step, draws));
                double gradNorm = o.MaxGradNorm > 0
                    ? GradClip.ClipGradNorm(parameters, o.MaxGradNorm)
                    : GradClip.TotalNorm(parameters.Select(p => p.Value));
                optimizer.Step();
                optimizer.ZeroGrad();
                step++;
                if (ema is not null)
                {
                    if (o.Ema.Mode == EmaMode.Authors) ema.StepAuthors(parameters, step, step == o.Steps, o.Ema.Every, o.Ema.Start, o.Ema.Beta);
                    else ema.StepDiffusers(parameters, o.Ema.MaxDecay);
                }

                lastLoss = result.Loss;
                double smoothed = smoother.Add(result.Loss);
                if (step % o.LogEvery == 0 || step == o.Steps)
                {
                    double rate = (step - resumedFrom) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                    var progress = new TrainingProgress(step, o.Steps, position.Epoch, result.Loss, smoothed, lr, gradNorm, rate, clock.Elapsed,
                        rate > 0 ? TimeSpan.FromSeconds((o.Steps - step) / rate) : null, result.Terms);
                    log.Write(progress);
                    OnProgress?.Invoke(progress);
                }
                if (step == o.Steps || (o.CheckpointEvery > 0 && step % o.CheckpointEvery == 0))
                {
                    lastCheckpoint = SaveCheckpoint(step, optimizer, ema, draws, smoother, position);
                    lastSaved = step;
                }
            }
        }
        finally
        {
            epoch?.Dispose();
        }

        ExportFinal(o, ema);
        return new TrainingSummary(step, resumedFrom, false, lastCheckpoint, lastLoss, clock.Elapsed, _dataset.Skipped);
    }

    // The final model, in the output folder itself: each component replaced whole.
    private void ExportFinal(TrainerOptions o, ExponentialMovingAverage? ema)
    {
        var staged = Path.Combine(o.OutputFolder, $".tmp-export.{Guid.NewGuid():N}");
        Directory.CreateDirectory(staged);
        try
        {
            _objective.Export(staged, WeightResolver(ema), o.ExportDType);
            CheckpointFolder.PublishInto(o.OutputFolder, staged);
        }
        finally
        {
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        }
    }

    private static Func<NamedParameter, Tensor> WeightResolver(ExponentialMovingAverage? ema) =>
        ema is null ? p => p.Value : p => ema[p.Name];

    // ---------------------------------------------------------------- data position

    private sealed class DataPosition
    {
        public int Epoch;
        public int BatchInEpoch;
    }

    private CaptionBatch NextBatch(CaptionBatchLoader loader, DataPosition position, ref IEnumerator<CaptionBatch>? epoch)
    {
        while (true)
        {
            epoch ??= loader.Epoch(position.Epoch, position.BatchInEpoch).GetEnumerator();
            if (epoch.MoveNext())
            {
                position.BatchInEpoch++;
                return epoch.Current;
            }
            epoch.Dispose();
            epoch = null;
            if (position.BatchInEpoch == 0)
                throw new InvalidDataException($"Dataset '{_dataset.Folder}' yields no full batch of {loader.BatchSize} usable samples ({_dataset.Count} indexed, {_dataset.Skipped.Count} skipped); lower the batch size or add samples.");
            position.Epoch++;
            position.BatchInEpoch = 0;
        }
    }

    // ---------------------------------------------------------------- checkpoints

    private string SaveCheckpoint(long step, AdamW optimizer, ExponentialMovingAverage? ema, DiffusionTrainingDraws draws, LossSmoother smoother, DataPosition position)
    {
        var path = CheckpointFolder.PathFor(Options.OutputFolder, step);
        CheckpointFolder.WriteAtomically(path, folder =>
        {
            _objective.Export(folder, WeightResolver(ema), Options.ExportDType);
            using var state = new TrainingState();
            var c = CultureInfo.InvariantCulture;
            state.Metadata["run.trainer"] = _objective.Name;
            state.Metadata["run.step"] = step.ToString(c);
            state.Metadata["run.epoch"] = position.Epoch.ToString(c);
            state.Metadata["run.batch_in_epoch"] = position.BatchInEpoch.ToString(c);
            state.Metadata["run.batch_size"] = Options.BatchSize.ToString(c);
            state.Metadata["run.seed"] = Options.Seed.ToString(c);
            state.Metadata["run.loss_avg.accumulator"] = smoother.Accumulator.ToString("R", c);
            state.Metadata["run.loss_avg.count"] = smoother.Count.ToString(c);
            state.Metadata["run.skipped"] = SkippedJson(_dataset.Skipped);
            // Raw weights: the component folders may hold the EMA or half-precision weights instead.
            foreach (var p in _objective.Parameters) state.Tensors["weights." + p.Name] = p.Value.Clone();
            foreach (var b in _objective.Buffers) state.Tensors["buffers." + b.Name] = b.Value.Clone();
            state.Add(optimizer.StateDict());
            if (ema is not null) state.Add(ema.StateDict());
            state.Add(draws.StateDict());
            state.Save(Path.Combine(folder, CheckpointFolder.TrainingStateFileName));
        });
        CheckpointFolder.Prune(Options.OutputFolder, Options.KeepCheckpoints);
        Log?.Invoke($"checkpoint {path}");
        return path;
    }

    private long Restore(string checkpoint, AdamW optimizer, ExponentialMovingAverage? ema, DiffusionTrainingDraws draws, LossSmoother smoother, DataPosition position)
    {
        var file = Path.Combine(checkpoint, CheckpointFolder.TrainingStateFileName);
        using var state = TrainingState.Load(file);
        const string owner = "resume";
        if (state.Metadata.TryGetValue("run.trainer", out var kind) && kind != _objective.Name)
            throw new InvalidDataException($"{file}: the checkpoint was written by the {kind} trainer, not {_objective.Name}.");
        if (state.GetLong("run.batch_size", owner) != Options.BatchSize)
            throw new InvalidDataException($"{file}: the run used batch size {state.Metadata["run.batch_size"]}; resuming with {Options.BatchSize} would change the data order.");
        if (state.Metadata.TryGetValue("run.seed", out var seed) && seed != Options.Seed.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{file}: the run used seed {seed}, not {Options.Seed}.");

        using (Autograd.Tape.NoGrad())
        {
            foreach (var p in _objective.Parameters) CopyChecked(state, "weights." + p.Name, p, file);
            foreach (var b in _objective.Buffers) CopyChecked(state, "buffers." + b.Name, b, file);
        }
        optimizer.LoadStateDict(state);
        if (ema is not null)
        {
            if (!state.Metadata.ContainsKey("ema.optimization_step"))
                throw new InvalidDataException($"{file}: the run had no EMA; resume it without one.");
            ema.LoadStateDict(state);
        }
        draws.LoadStateDict(state);
        position.Epoch = (int)state.GetLong("run.epoch", owner);
        position.BatchInEpoch = (int)state.GetLong("run.batch_in_epoch", owner);
        smoother.Restore(double.Parse(state.Metadata["run.loss_avg.accumulator"], CultureInfo.InvariantCulture), state.GetLong("run.loss_avg.count", owner));
        RestoreSkipped(state.Metadata.GetValueOrDefault("run.skipped"));
        return state.GetLong("run.step", owner);
    }

    private static void CopyChecked(TrainingState state, string key, NamedParameter p, string file)
    {
        var t = state.Get(key, $"resume from {file}");
        if (!t.Shape.SequenceEqual(p.Value.Shape))
            throw new InvalidDataException($"{file}: '{key}' is {t}, the model's tensor is {p.Value}; the model's configuration differs from the checkpoint's.");
        p.Value.CopyFrom(t);
        Autograd.Recorder.WroteInPlace(p.Value);
    }

    // Samples found broken before the checkpoint are left out again, so the batches after it are the same.
    private void RestoreSkipped(string? json)
    {
        if (string.IsNullOrEmpty(json)) return;
        var indexOfPath = _dataset.Entries.Select((e, i) => (e.ImagePath, i)).ToDictionary(x => x.ImagePath, x => x.i, StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        foreach (var s in doc.RootElement.EnumerateArray())
        {
            string file = s.GetProperty("file").GetString() ?? "", reason = s.GetProperty("reason").GetString() ?? "";
            if (indexOfPath.TryGetValue(file, out int index))
                _dataset.HandleBroken(index, new DatasetSampleException(file, reason));
        }
    }

    private static string SkippedJson(IReadOnlyList<SkippedSample> skipped)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var s in skipped)
            {
                w.WriteStartObject();
                w.WriteString("file", s.FilePath);
                w.WriteString("reason", s.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
