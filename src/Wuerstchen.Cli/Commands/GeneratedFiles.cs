using System.Text.Json;
using Wuerstchen.IO.Png;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>What <c>generate</c> writes: PNGs carrying their generation parameters, and optionally the raw tensors.</summary>
public static class GeneratedFiles
{
    /// <summary>PNG text keyword (and safetensors metadata key) holding the generation parameters as JSON.</summary>
    public const string ParametersKey = "parameters";

    public const string Software = "Wuerstchen.NET";

    // Prompts stay readable (UTF-8 in an iTXt chunk) instead of \uXXXX escapes.
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>out.png</c> for a single image, else <c>out-0.png</c>, <c>out-1.png</c>, … beside it.</summary>
    public static string ImagePath(string output, int index, int count) =>
        count == 1 ? output
        : Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}-{index}{Path.GetExtension(output)}");

    /// <summary>
    /// Writes each image of [B, 3, H, W] in [0, 1] as 8-bit RGB (round(x·255), like diffusers' PIL output), each with
    /// its parameters (including its index in the batch) in a text chunk; returns the paths.
    /// </summary>
    public static string[] SaveImages(Tensor images, GenerateSettings settings)
    {
        int count = images.Size(0);
        var paths = new string[count];
        EnsureFolder(settings.Output);
        for (int b = 0; b < count; b++)
        {
            using var image = images.Narrow(0, b, 1).Clone();
            var options = new PngWriteOptions
            {
                Text = [new PngText("Software", Software), new PngText(ParametersKey, ParametersJson(settings, b))],
            };
            paths[b] = ImageTensors.SavePngs(image, _ => ImagePath(settings.Output, b, count), options)[0];
        }
        return paths;
    }

    /// <summary>F32 <c>image_embeddings</c> [B, 16, h, w] and <c>images</c> [B, 3, H, W] in [0, 1], with the parameters as metadata.</summary>
    public static void SaveTensors(string path, CombinedResult result, GenerateSettings settings)
    {
        EnsureFolder(path);
        var writer = new SafeTensorsWriter();
        writer.Metadata[ParametersKey] = ParametersJson(settings, imageIndex: null);
        writer.Add("image_embeddings", result.ImageEmbeddings);
        if (result.Images != null) writer.Add("images", result.Images);
        writer.Save(path);
    }

    private static void EnsureFolder(string file)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (folder != null) Directory.CreateDirectory(folder);
    }

    private static string? FolderName(string? folder) =>
        folder == null ? null : Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>Everything needed to regenerate the image, as JSON with the diffusers argument names.</summary>
    public static string ParametersJson(GenerateSettings s, int? imageIndex)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["software"] = Software,
            ["prompt"] = s.Prompt,
            ["negative_prompt"] = s.NegativePrompt,
            ["width"] = s.Width,
            ["height"] = s.Height,
            ["prior_num_inference_steps"] = s.PriorTimesteps == null ? s.PriorSteps : s.PriorTimesteps.Length - 1,
            ["prior_timesteps"] = s.PriorTimesteps,
            ["prior_guidance_scale"] = s.PriorGuidance,
            ["num_inference_steps"] = s.DecoderTimesteps == null ? s.DecoderSteps : s.DecoderTimesteps.Length - 1,
            ["decoder_timesteps"] = s.DecoderTimesteps,
            ["decoder_guidance_scale"] = s.DecoderGuidance,
            ["num_images_per_prompt"] = s.NumImages,
            ["seed"] = s.Seed,
            ["variant"] = s.Variant,
            ["prior_latents"] = s.PriorLatents == null ? null : Path.GetFileName(s.PriorLatents),
            ["prior_loras"] = s.Loras.Count == 0 ? null
                : s.Loras.Select(l => new Dictionary<string, object> { ["file"] = Path.GetFileName(l.Path), ["scale"] = l.Scale }).ToArray(),
            ["prior"] = FolderName(s.PriorFolder),
            ["decoder"] = FolderName(s.DecoderFolder),
            ["random_weights"] = s.RandomWeights ? true : null,
        };
        if (imageIndex != null) parameters["image_index"] = imageIndex;
        return JsonSerializer.Serialize(parameters.Where(p => p.Value != null).ToDictionary(p => p.Key, p => p.Value), JsonOptions);
    }
}
