using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Wuerstchen.Cli;

internal static partial class CliMessages
{
    /// <summary>An ArgumentException's message without .NET's " (Parameter 'x')" suffix, for users who name options, not parameters.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        string suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName != null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }

    /// <summary>A parse error prefixed with the option it concerns, with .NET type names in words.</summary>
    public static string Describe(ParseError error)
    {
        string message = TypeName().Replace(error.Message, m => m.Groups[1].Value switch
        {
            "Int32" => "as an integer",
            "UInt64" => "as a non-negative integer",
            "Single" or "Double" => "as a number",
            _ => m.Value,
        });
        var option = error.SymbolResult switch
        {
            OptionResult o => o.Option.Name,
            ArgumentResult { Parent: OptionResult o } => o.Option.Name,
            _ => null,
        };
        return option != null && !message.Contains(option, StringComparison.Ordinal) ? $"{option}: {message}" : message;
    }

    [GeneratedRegex(@"as expected type 'System\.(?:Nullable`1\[System\.)?(\w+)\]?'")]
    private static partial Regex TypeName();
}
