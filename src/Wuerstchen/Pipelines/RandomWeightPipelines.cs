using System.Diagnostics;
using Wuerstchen.Models;
using Wuerstchen.Models.Weights;
using Wuerstchen.Schedulers;

namespace Wuerstchen.Pipelines;

/// <summary>How <see cref="RandomWeightPipelines"/> builds its components.</summary>
public sealed record RandomWeightOptions
{
    /// <summary>Seed of the weights; every component draws from its own stream of it (by diffusers key).</summary>
    public ulong Seed { get; init; }

    /// <summary>Keep every model between stages instead of rebuilding it when its stage starts (as <see cref="PipelineLoadOptions.KeepModelsLoaded"/>).</summary>
    public bool KeepModelsLoaded { get; init; }

    /// <summary>Told the component name and how long building it took, each time one is built.</summary>
    public Action<string, TimeSpan>? Built { get; init; }
}

/// <summary>
/// Pipelines whose models are built from configs alone, with deterministic random weights
/// (<see cref="WeightSource.Random"/>) instead of a model folder's safetensors: the real architecture at real scale
/// for benchmarks and smoke tests, without the ~13 GB of released weights. The images are noise. Components are
/// built when their stage starts and dropped when it ends, exactly like loaded ones, so memory behaves as in a real run.
/// </summary>
public static class RandomWeightPipelines
{
    public static WuerstchenPriorPipeline Prior(PriorPipelineConfig config, Func<ClipTextModel, IPromptEncoder> promptEncoder,
        RandomWeightOptions? options = null)
    {
        options ??= new RandomWeightOptions();
        return new WuerstchenPriorPipeline(
            Slot<IPromptEncoder>("text_encoder", options, ws => promptEncoder(new ClipTextModel(config.TextEncoder, ws.Scope("prior_text_encoder")))),
            Slot<IPriorModel>("prior", options, ws => new WuerstchenPriorAdapter(new WuerstchenPrior(config.Prior, ws.Scope("prior")))),
            () => new DdpmWuerstchenScheduler(config.Scheduler),
            config.Constants);
    }

    public static WuerstchenDecoderPipeline Decoder(DecoderPipelineConfig config, Func<ClipTextModel, IPromptEncoder> promptEncoder,
        RandomWeightOptions? options = null)
    {
        options ??= new RandomWeightOptions();
        return new WuerstchenDecoderPipeline(
            Slot<IPromptEncoder>("text_encoder", options, ws => promptEncoder(new ClipTextModel(config.TextEncoder, ws.Scope("decoder_text_encoder")))),
            Slot<IDecoderModel>("decoder", options, ws => new WuerstchenDiffNeXtAdapter(new WuerstchenDiffNeXt(config.Decoder, ws.Scope("decoder"), foldEffnetMappers: true))),
            Slot<IVqDecoder>("vqgan", options, ws => new PaellaVQAdapter(new PaellaVQModel(config.VqGan, ws.Scope("vqgan")))),
            () => new DdpmWuerstchenScheduler(config.Scheduler),
            config.Constants);
    }

    /// <summary>A component slot that builds its model from a fresh random source (scoped so that components get distinct weights).</summary>
    private static ComponentSlot<T> Slot<T>(string name, RandomWeightOptions options, Func<WeightSource, T> build) where T : class, IDisposable =>
        new(name, () =>
        {
            var clock = Stopwatch.StartNew();
            using var ws = WeightSource.Random(options.Seed);
            var component = build(ws);
            options.Built?.Invoke(name, clock.Elapsed);
            return component;
        }, options.KeepModelsLoaded);
}
