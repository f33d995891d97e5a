using System.Text.Json;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// One recorded diffusers run, <c>vectors/pipeline_&lt;name&gt;.safetensors</c>, with its call arguments from
/// <c>vectors/pipelines.json</c>, and the requests that reproduce it.
/// </summary>
internal sealed class PipelineRun : IDisposable
{
    private readonly JsonElement _args;

    public string Name { get; }
    public SafeTensorsFile File { get; }
    public ulong Seed { get; }

    private PipelineRun(string name, SafeTensorsFile file, JsonElement args, ulong seed)
    {
        Name = name;
        File = file;
        _args = args;
        Seed = seed;
    }

    public static PipelineRun Open(string name)
    {
        string fileName = $"pipeline_{name}.safetensors";
        using var runs = JsonDocument.Parse(System.IO.File.ReadAllBytes(Reference.Vectors("pipelines.json")));
        var run = runs.RootElement.EnumerateArray().Single(r => r.GetProperty("file").GetString() == fileName);
        return new PipelineRun(name, SafeTensorsFile.Open(Reference.Vectors(fileName)),
            run.GetProperty("call_args").Clone(), run.GetProperty("seed").GetUInt64());
    }

    public Tensor Read(string key) => File.ReadTensor(key);
    public bool Has(string key) => File.Contains(key);

    /// <summary>A string argument as a list of one, a list as itself, absent as null.</summary>
    public IReadOnlyList<string>? Strings(string name) =>
        !_args.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? [v.GetString()!]
        : v.EnumerateArray().Select(e => e.GetString()!).ToArray();

    public int Int(string name, int fallback) => _args.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;

    /// <summary>A float argument as a Python float converted to float32 by torch.</summary>
    public float Float(string name, float fallback) => _args.TryGetProperty(name, out var v) ? (float)v.GetDouble() : fallback;

    public float[]? Floats(string name) =>
        _args.TryGetProperty(name, out var v) ? v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray() : null;

    /// <summary>The recorded tensor <c>input.&lt;name&gt;</c> handed to the call, if any.</summary>
    public Tensor? Input(string name) => Has($"input.{name}") ? Read($"input.{name}") : null;

    public PriorRequest PriorRequest(Tensor? latents) => new()
    {
        Prompts = Strings("prompt"),
        NegativePrompts = Strings("negative_prompt"),
        Height = Int("height", 1024),
        Width = Int("width", 1024),
        NumInferenceSteps = Int("num_inference_steps", 60),
        Timesteps = Floats("timesteps"),
        GuidanceScale = Float("guidance_scale", 8f),
        NumImagesPerPrompt = Int("num_images_per_prompt", 1),
        Latents = latents,
    };

    public DecoderRequest DecoderRequest(Tensor imageEmbeddings, Tensor? latents) => new()
    {
        ImageEmbeddings = imageEmbeddings,
        Prompts = Strings("prompt") ?? [""],
        NegativePrompts = Strings("negative_prompt"),
        NumInferenceSteps = Int("num_inference_steps", 12),
        Timesteps = Floats("timesteps"),
        GuidanceScale = Float("guidance_scale", 0f),
        NumImagesPerPrompt = Int("num_images_per_prompt", 1),
        Latents = latents,
    };

    public CombinedRequest CombinedRequest(Tensor? latents) => new()
    {
        Prompts = Strings("prompt"),
        NegativePrompts = Strings("negative_prompt"),
        Height = Int("height", 512),
        Width = Int("width", 512),
        PriorNumInferenceSteps = Int("prior_num_inference_steps", 60),
        PriorTimesteps = Floats("prior_timesteps"),
        PriorGuidanceScale = Float("prior_guidance_scale", 4f),
        DecoderNumInferenceSteps = Int("num_inference_steps", 12),
        DecoderTimesteps = Floats("decoder_timesteps"),
        DecoderGuidanceScale = Float("decoder_guidance_scale", 0f),
        NumImagesPerPrompt = Int("num_images_per_prompt", 1),
        Latents = latents,
    };

    public void Dispose() => File.Dispose();
}
